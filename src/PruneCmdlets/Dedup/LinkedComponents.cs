namespace PruneCmdlets.Dedup;

/// <summary>
/// Union-find over the rows, which also keeps, per component, the range of the similarities of
/// the pairs that linked it and how many there were. The root of a component is always its
/// smallest row, and min, max and count do not depend on the order pairs arrive in, so the
/// result is the same whichever thread links which pair first. Not thread-safe: callers link
/// under a lock.
/// </summary>
internal sealed class LinkedComponents
{
    private readonly int[] _parent;
    private readonly double[] _min;
    private readonly double[] _max;
    private readonly long[] _pairs;

    public LinkedComponents(int n)
    {
        _parent = new int[n];
        _min = new double[n];
        _max = new double[n];
        _pairs = new long[n];
        for (int i = 0; i < n; i++) { _parent[i] = i; _min[i] = double.PositiveInfinity; _max[i] = double.NegativeInfinity; }
    }

    public int Find(int i)
    {
        while (_parent[i] != i)
        {
            _parent[i] = _parent[_parent[i]]; // path halving
            i = _parent[i];
        }
        return i;
    }

    /// <summary>Joins the components of <paramref name="a"/> and <paramref name="b"/> through a pair of this similarity.</summary>
    public void Link(int a, int b, double similarity)
    {
        int ra = Find(a), rb = Find(b);
        int root = ra;
        if (ra != rb)
        {
            root = Math.Min(ra, rb);
            int other = Math.Max(ra, rb);
            _parent[other] = root;
            _min[root] = Math.Min(_min[ra], _min[rb]);
            _max[root] = Math.Max(_max[ra], _max[rb]);
            _pairs[root] = _pairs[ra] + _pairs[rb];
        }
        if (similarity < _min[root]) _min[root] = similarity;
        if (similarity > _max[root]) _max[root] = similarity;
        _pairs[root]++;
    }

    public double MinSimilarity(int root) => _min[root];
    public double MaxSimilarity(int root) => _max[root];
    public long Pairs(int root) => _pairs[root];
}
