using System.Globalization;

namespace PruneCmdlets.Numerics;

/// <summary>
/// A sum of non-negative doubles that does not depend on the order of its terms: each term is
/// rounded down to a multiple of 2⁻⁶⁰ and added as a 128-bit integer, and integer addition is
/// associative. Sharded runs add their parts in any order, single-process runs in input order,
/// and both get the same bits, which a double sum would not promise. Terms up to 2³⁶ (far
/// beyond any distance between embeddings) and 2³¹ of them fit without overflow.
/// </summary>
public struct FixedPointSum
{
    private const int FractionBits = 60;
    private const double MaxTerm = 68719476736.0; // 2^36

    public Int128 Raw { get; private set; }

    public FixedPointSum(Int128 raw) => Raw = raw;

    public void Add(double term)
    {
        if (!(term >= 0 && term < MaxTerm)) throw new ArgumentOutOfRangeException(nameof(term), term, "A fixed-point sum holds finite terms in [0, 2^36).");
        Raw = checked(Raw + (Int128)Math.ScaleB(term, FractionBits));
    }

    public void Add(FixedPointSum other) => Raw = checked(Raw + other.Raw);

    public double Value => Math.ScaleB((double)Raw, -FractionBits);

    public override string ToString() => Raw.ToString(CultureInfo.InvariantCulture);

    public static FixedPointSum Parse(string text) => new(Int128.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture));
}
