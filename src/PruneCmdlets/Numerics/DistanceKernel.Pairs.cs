namespace PruneCmdlets.Numerics;

/// <summary>
/// Pairwise search inside one matrix: which pairs of rows have a large dot product. Semantic
/// deduplication asks it of the unit vectors of one cluster, so the dot product is the cosine
/// similarity. The dots come from the same register <see cref="Tile"/> and packed panels as
/// <see cref="Nearest"/>: a caller packs a block of rows as "centroids" with <see cref="Pack"/>
/// and sweeps other rows over it, so no pairwise block larger than BlockRows × 32 dot products
/// (12 KB on the stack) ever exists.
/// </summary>
public static unsafe partial class DistanceKernel
{
    /// <summary>Receives one pair (row &lt; column, both row indices of the matrix) and its kernel dot product.</summary>
    public delegate void PairSink(int row, int column, float dot);

    /// <summary>
    /// Finds the pairs (i, j), i in [<paramref name="rowStart"/>, <paramref name="rowEnd"/>) and j a
    /// packed column, with j &gt; i and x_i · x_j ≥ <paramref name="minDot"/>, and hands each to
    /// <paramref name="sink"/>: block of <see cref="BlockRows"/> rows by block, panel by panel inside a
    /// block, rows in increasing order inside a panel.
    /// Packed column c stands for row <paramref name="columnOffset"/> + c of the same matrix
    /// <paramref name="x"/> (n×d, row-major), so the columns are
    /// <c>Pack(x[columnOffset .. columnOffset + columns.K), columns.K, d)</c>.
    /// <paramref name="scratch"/> holds at least <see cref="TileRows"/>·d floats (tail rows are
    /// copied there zero-padded, so reads never pass <paramref name="rowEnd"/>). The dots are the
    /// kernel's float dot products, bit-identical on every instruction set; a caller that needs the
    /// exact figure refines the pairs it receives (see <see cref="ExactSquaredDistance"/>).
    /// </summary>
    public static void DotPairsAtLeast(ReadOnlyMemory<float> x, int rowStart, int rowEnd, PackedCentroids columns, int columnOffset,
        float minDot, float[] scratch, PairSink sink, Isa isa = Isa.Auto)
    {
        int d = columns.D;
        if (rowStart < 0 || rowEnd < rowStart || (long)rowEnd * d > x.Length)
            throw new ArgumentOutOfRangeException(nameof(rowEnd), "The row range lies outside the matrix.");
        if (columnOffset < 0 || (long)(columnOffset + columns.K) * d > x.Length)
            throw new ArgumentOutOfRangeException(nameof(columnOffset), "The packed columns lie outside the matrix.");
        if (scratch.Length < TileRows * d) throw new ArgumentException($"Scratch must hold {TileRows}×D floats.", nameof(scratch));
        if (isa == Isa.Auto) isa = Detect();

        float* acc = stackalloc float[BlockRows * PanelWidth];
        fixed (float* xp = x.Span, panels = columns.Panels, sp = scratch)
        {
            // Row blocks of BlockRows: each panel's KC-dimension slices stay in cache while every
            // tile of the block streams past them, as in Nearest.
            for (int start = rowStart; start < rowEnd; start += BlockRows)
            {
                int rows = Math.Min(BlockRows, rowEnd - start);
                int fullTiles = rows / TileRows, tailRows = rows % TileRows;
                int tiles = fullTiles + (tailRows > 0 ? 1 : 0);
                float* block = xp + (long)start * d;
                if (tailRows > 0)
                {
                    // The last, partial tile goes through a zero-padded copy, so reads stop at rowEnd.
                    new Span<float>(sp, TileRows * d).Clear();
                    new ReadOnlySpan<float>(block + (long)fullTiles * TileRows * d, tailRows * d).CopyTo(new Span<float>(sp, tailRows * d));
                }
                for (int panel = 0; panel < columns.PanelCount; panel++)
                {
                    int cBase = columnOffset + panel * PanelWidth;
                    int lanes = Math.Min(PanelWidth, columns.K - panel * PanelWidth);
                    if (cBase + lanes - 1 <= start) continue; // no column of this panel lies after any row of the block
                    float* b = panels + (long)panel * d * PanelWidth;
                    new Span<float>(acc, tiles * TileRows * PanelWidth).Clear();
                    for (int p0 = 0; p0 < d; p0 += KC)
                    {
                        int kc = Math.Min(KC, d - p0);
                        for (int t = 0; t < tiles; t++)
                        {
                            if (cBase + lanes - 1 <= start + t * TileRows) break; // later tiles only see columns before their rows
                            float* rowPtr = t < fullTiles ? block + (long)t * TileRows * d : sp;
                            Tile(rowPtr + p0, d, kc, b + (long)p0 * PanelWidth, acc + t * TileRows * PanelWidth, isa);
                        }
                    }
                    for (int r = 0; r < rows; r++)
                    {
                        int row = start + r;
                        int first = Math.Max(0, row + 1 - cBase); // columns j > row only
                        float* dots = acc + r * PanelWidth;
                        for (int j = first; j < lanes; j++)
                            if (dots[j] >= minDot) sink(row, cBase + j, dots[j]);
                    }
                }
            }
        }
    }
}
