using System.Buffers.Binary;
using System.Text;

namespace PruneCmdlets.IO;

/// <summary>Reads NumPy .npy files: 2-D float matrices (embeddings) and 1-D label arrays.</summary>
public static class NpyReader
{
    /// <summary>
    /// Opens an N×D float16/32/64 matrix and checks, before any row is read, that it is 2-D,
    /// numeric and complete. Rows are then streamed in order (C order) or transposed from a
    /// single read (Fortran order).
    /// </summary>
    public static NpyMatrix OpenMatrix(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            var header = NpyHeader.Read(stream, path);
            if (header.Kind == 'O') throw new InvalidDataException($"'{path}' holds a Python object array; embeddings must be a 2-D float32 or float64 array.");
            if (header.Kind != 'f' || header.ItemSize is not (2 or 4 or 8))
                throw new InvalidDataException($"'{path}' holds dtype '{header.Descr}'; embeddings must be float32 or float64 (float16 is also read).");
            if (header.Shape.Length != 2)
                throw new InvalidDataException($"'{path}' is {header.Shape.Length}-D with shape ({string.Join(", ", header.Shape)}); embeddings must be a 2-D array of N rows × D dimensions.");
            long n = header.Shape[0], d = header.Shape[1];
            if (d < 1) throw new InvalidDataException($"'{path}' has rows of zero dimensions.");
            // d is bounded before the product, so n·d cannot wrap round into a small (or zero) width.
            if (n > int.MaxValue || d > Array.MaxLength || checked(n * d) > Array.MaxLength) throw new InvalidDataException($"'{path}' holds {n}×{d} values, more than one process can address as a single array.");
            long expected = checked(n * d * header.ItemSize);
            long available = stream.Length - header.DataOffset;
            if (available < expected)
                throw new InvalidDataException($"'{path}' is truncated: shape ({n}, {d}) needs {expected} data bytes but only {available} are present.");
            return new NpyMatrix(stream, header, path);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Reads a 1-D (or N×1) array of integers, booleans, floats or strings as text labels.</summary>
    public static string[] ReadLabels(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var h = NpyHeader.Read(stream, path);
        if (h.Kind == 'O') throw new InvalidDataException($"'{path}' holds a Python object array; save labels as integers or fixed-width strings (e.g. np.array(labels, dtype=str)).");
        bool column = h.Shape.Length == 2 && h.Shape[1] == 1;
        if (h.Shape.Length != 1 && !column)
            throw new InvalidDataException($"'{path}' has shape ({string.Join(", ", h.Shape)}); labels must be a 1-D array.");
        long n = h.Shape[0];
        // n is bounded before the product, so it cannot wrap round into a small size.
        if (n > Array.MaxLength || checked(n * h.ItemSize) > int.MaxValue) throw new InvalidDataException($"'{path}' holds {n} labels of {h.ItemSize} bytes, too large for a label file.");
        long bytes = n * h.ItemSize;
        var data = new byte[bytes];
        if (NpyHeader.ReadFully(stream, data) < bytes)
            throw new InvalidDataException($"'{path}' is truncated: {n} labels need {bytes} data bytes.");
        var labels = new string[n];
        for (int i = 0; i < n; i++) labels[i] = DecodeLabel(data.AsSpan(i * h.ItemSize, h.ItemSize), h, path);
        return labels;
    }

    private static string DecodeLabel(ReadOnlySpan<byte> b, NpyHeader h, string path)
    {
        bool be = h.BigEndian;
        switch (h.Kind, h.ItemSize)
        {
            case ('b', 1): return b[0] != 0 ? "True" : "False";
            case ('i', 1): return ((sbyte)b[0]).ToString();
            case ('u', 1): return b[0].ToString();
            case ('i', 2): return (be ? BinaryPrimitives.ReadInt16BigEndian(b) : BinaryPrimitives.ReadInt16LittleEndian(b)).ToString();
            case ('u', 2): return (be ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b)).ToString();
            case ('i', 4): return (be ? BinaryPrimitives.ReadInt32BigEndian(b) : BinaryPrimitives.ReadInt32LittleEndian(b)).ToString();
            case ('u', 4): return (be ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b)).ToString();
            case ('i', 8): return (be ? BinaryPrimitives.ReadInt64BigEndian(b) : BinaryPrimitives.ReadInt64LittleEndian(b)).ToString();
            case ('u', 8): return (be ? BinaryPrimitives.ReadUInt64BigEndian(b) : BinaryPrimitives.ReadUInt64LittleEndian(b)).ToString();
            case ('f', 4):
            case ('f', 8):
                double v = NpyMatrix.ReadFloat(b, h);
                return v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
            case ('U', _):
                var sb = new StringBuilder();
                for (int i = 0; i + 4 <= b.Length; i += 4)
                {
                    int cp = be ? BinaryPrimitives.ReadInt32BigEndian(b[i..]) : BinaryPrimitives.ReadInt32LittleEndian(b[i..]);
                    if (cp == 0) break;
                    sb.Append(char.ConvertFromUtf32(cp));
                }
                return sb.ToString();
            case ('S', _):
                int len = b.IndexOf((byte)0);
                return Encoding.UTF8.GetString(len < 0 ? b : b[..len]);
            default:
                throw new InvalidDataException($"'{path}' holds dtype '{h.Descr}', which cannot be read as labels.");
        }
    }
}

/// <summary>
/// Rows [<see cref="FirstRow"/>, <see cref="FirstRow"/> + <see cref="Rows"/>) of
/// <see cref="Block"/> (row-major, the file's D columns), ready to use, and whether every value
/// in them is finite (rows are checked one by one only when a piece is not).
/// </summary>
public readonly record struct RowPiece(ReadOnlyMemory<float> Block, int FirstRow, int Rows, bool Finite);

/// <summary>An open N×D matrix in a .npy file; dispose to close it.</summary>
public sealed class NpyMatrix : IDisposable
{
    private readonly Stream _stream;

    internal NpyMatrix(Stream stream, NpyHeader header, string path)
    {
        _stream = stream;
        Header = header;
        Path = path;
    }

    public NpyHeader Header { get; }
    public string Path { get; }

    /// <summary>
    /// Maps count floats from a byte offset of the file (<see cref="MappedFloats"/>); tests put a
    /// refusing one here to check that such a block is read instead.
    /// </summary>
    internal Func<string, long, int, ReadOnlyMemory<float>> Map { get; set; } = (path, offset, count) => new MappedFloats(path, offset, count).Memory;

    public int Rows => (int)Header.Shape[0];
    public int Columns => (int)Header.Shape[1];

    /// <summary>Yields each row as a fresh float[D], in row order.</summary>
    public IEnumerable<float[]> ReadRows()
    {
        int d = Columns;
        foreach (var (block, rows) in ReadBlocks())
            for (int r = 0; r < rows; r++) yield return block.AsSpan(r * d, d).ToArray();
    }

    /// <summary>
    /// Yields the matrix as consecutive blocks of whole rows in row order: a fresh float array
    /// each time (never reused, so callers may keep rows in place) and the number of rows it
    /// holds. Little-endian float32 in C order is read straight into the block; other types and
    /// byte orders are converted, Fortran order is transposed from a single read.
    /// </summary>
    public IEnumerable<(float[] Block, int Rows)> ReadBlocks(int maxBlockFloats = 1 << 20)
    {
        int n = Rows, d = Columns, size = Header.ItemSize;
        int rowsPerBlock = Math.Max(1, maxBlockFloats / d);
        _stream.Position = Header.DataOffset;
        if (Header.FortranOrder)
        {
            // Column-major: element (i, j) sits at j·N + i. One read, then transpose.
            var all = new byte[(long)n * d * size];
            NpyHeader.ReadFully(_stream, all);
            for (int start = 0; start < n; start += rowsPerBlock)
            {
                int count = Math.Min(rowsPerBlock, n - start);
                var block = new float[count * d];
                for (int i = 0; i < count; i++)
                    for (int j = 0; j < d; j++)
                        block[i * d + j] = (float)ReadFloat(all.AsSpan((int)(((long)j * n + start + i) * size), size), Header);
                yield return (block, count);
            }
            yield break;
        }
        if (ReadsDirectly)
        {
            // Float32 in the machine's byte order: the background workers fill each block.
            foreach (var piece in ReadPieces(maxBlockFloats))
                if ((piece.FirstRow + piece.Rows) * d == piece.Block.Length)
                {
                    System.Runtime.InteropServices.MemoryMarshal.TryGetArray(piece.Block, out var array); // unmapped blocks are arrays
                    yield return (array.Array!, piece.FirstRow + piece.Rows);
                }
            yield break;
        }
        var raw = new byte[1 << 20]; // conversion goes through this, a piece at a time
        for (int start = 0; start < n; start += rowsPerBlock)
        {
            int count = Math.Min(rowsPerBlock, n - start);
            var block = PruneCmdlets.Numerics.LargeArray.Allocate((long)count * d); // every value is read into it
            ConvertInto(block, start, raw);
            yield return (block, count);
        }
    }

    /// <summary>C-order float32 in the machine's byte order: the file's bytes are the values.</summary>
    private bool ReadsDirectly => Header.ItemSize == 4 && Header.BigEndian != BitConverter.IsLittleEndian && !Header.FortranOrder;

    /// <summary>
    /// Like <see cref="ReadBlocks"/>, but yields each block as soon as a piece of it is ready:
    /// a <see cref="RowPiece"/> per piece, in order, the block growing. Little-endian float32 in
    /// C order is prepared by background workers while the caller uses the rows already there,
    /// so the file's I/O and page faults overlap with whatever the caller does; stopping early
    /// stops the workers. A file holding at least <paramref name="mapFromBytes"/> of such values
    /// (<see cref="MapFromBytes"/> is what Import-Embedding asks for) is not copied at all: its
    /// blocks are mapped from the file cache (<see cref="MappedFloats"/>) and the workers only
    /// fault the pages in while checking them. Otherwise blocks are fresh arrays, never reused.
    /// Other layouts come a block at a time.
    /// </summary>
    public IEnumerable<RowPiece> ReadPieces(int maxBlockFloats = 1 << 20, long mapFromBytes = long.MaxValue)
    {
        int n = Rows, d = Columns;
        if (!ReadsDirectly)
        {
            foreach (var (block, rows) in ReadBlocks(maxBlockFloats))
                yield return new RowPiece(block, 0, rows, PruneCmdlets.Numerics.VectorMath.AllFinite(block.AsSpan(0, rows * d)));
            yield break;
        }
        bool map = (long)n * d * sizeof(float) >= mapFromBytes;
        // Taken here, once: the getter flushes the stream's read buffer, which rewinds the
        // stream, and the workers calling it at once rewound it twice (before the file's start).
        var handle = ((FileStream)_stream).SafeFileHandle;
        int rowsPerBlock = Math.Max(1, maxBlockFloats / d), rowsPerPiece = Math.Max(1, PieceFloats / d);
        for (int start = 0; start < n; start += rowsPerBlock)
        {
            int count = Math.Min(rowsPerBlock, n - start);
            long offset = Header.DataOffset + (long)start * d * sizeof(float);
            ReadOnlyMemory<float> block = default;
            Func<int, bool>? prepare = null;
            if (map)
            {
                try
                {
                    var mapped = Map(Path, offset, count * d);
                    block = mapped;
                    prepare = p => PieceIsFinite(mapped, p, rowsPerPiece, count, d);
                }
                // A file system that cannot map files (or a handle the OS refuses): read it instead.
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException) { map = false; }
            }
            if (prepare is null)
            {
                var array = PruneCmdlets.Numerics.LargeArray.Allocate((long)count * d); // every value is read into it
                block = array;
                prepare = p => ReadPiece(handle, array, offset, start, p, rowsPerPiece, count, d);
            }
            int pieces = (count + rowsPerPiece - 1) / rowsPerPiece;
            // Reading into fresh memory is bound by page faults, which two cores take twice as
            // fast as one. A mapped piece only needs its page-table entries, and one core does
            // that about as fast as a pipeline takes the rows: a second worker would take its
            // core from the pipeline, and a consumer that is faster helps out anyway.
            var workers = new PieceWorkers(pieces, map ? 1 : 2, prepare!);
            try
            {
                for (int p = 0; p < pieces; p++)
                {
                    bool finite = workers.WaitFor(p);
                    yield return new RowPiece(block, p * rowsPerPiece, Math.Min(rowsPerPiece, count - p * rowsPerPiece), finite);
                }
            }
            finally { workers.Stop(); }
        }
        _stream.Position = Header.DataOffset + (long)n * d * sizeof(float);
    }

    /// <summary>
    /// From this size on (64 MiB of values) a file is worth mapping rather than reading. Below
    /// it, reading takes a few hundredths of a second and leaves the file free: a mapped file
    /// cannot be deleted or replaced on Windows while records of it live.
    /// </summary>
    public const long MapFromBytes = 64L << 20;

    private const int PieceFloats = 2 << 20; // 8 MB

    private bool ReadPiece(Microsoft.Win32.SafeHandles.SafeFileHandle handle, float[] block, long blockOffset, int blockStartRow, int piece, int rowsPerPiece, int rows, int d)
    {
        int first = piece * rowsPerPiece, count = Math.Min(rowsPerPiece, rows - first);
        var values = block.AsSpan(first * d, count * d);
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(values);
        long at = blockOffset + (long)first * d * sizeof(float);
        int got = 0;
        while (got < bytes.Length)
        {
            int r = RandomAccess.Read(handle, bytes[got..], at + got);
            if (r == 0) throw EndedEarly(blockStartRow + first, got);
            got += r;
        }
        return PruneCmdlets.Numerics.VectorMath.AllFinite(values); // checked while the piece is in cache
    }

    private static bool PieceIsFinite(ReadOnlyMemory<float> block, int piece, int rowsPerPiece, int rows, int d)
    {
        int first = piece * rowsPerPiece, count = Math.Min(rowsPerPiece, rows - first);
        var values = block.Span.Slice(first * d, count * d);
        unsafe
        {
            fixed (float* p = values) PruneCmdlets.Numerics.LargeArray.AdviseMapping(p, (long)values.Length * sizeof(float), PruneCmdlets.Numerics.LargeArray.MappingAdvice.PopulateRead);
        }
        return PruneCmdlets.Numerics.VectorMath.AllFinite(values); // the first read: from the file cache
    }

    /// <summary>
    /// Prepares the pieces of one block on background threads, taking them in order, so the
    /// caller can use each piece as soon as it is ready.
    /// </summary>
    private sealed class PieceWorkers
    {
        private readonly object _gate = new();
        private readonly bool[] _done, _finite;
        private readonly Func<int, bool> _prepare;
        private readonly Task[] _tasks;
        private volatile bool _stop;
        private int _next = -1;
        private Exception? _failure;

        /// <param name="pieces">How many pieces the block has.</param>
        /// <param name="workers">How many background threads prepare them.</param>
        /// <param name="prepare">Makes piece p ready and says whether all its values are finite.</param>
        public PieceWorkers(int pieces, int workers, Func<int, bool> prepare)
        {
            _done = new bool[pieces];
            _finite = new bool[pieces];
            _prepare = prepare;
            _tasks = new Task[Math.Min(workers, pieces)];
            for (int t = 0; t < _tasks.Length; t++)
                _tasks[t] = Task.Factory.StartNew(() => { while (PrepareNext()) { } },
                    CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        /// <summary>Claims the next piece nobody has taken and prepares it; false once none is left or one failed.</summary>
        private bool PrepareNext()
        {
            int p;
            if (_stop || _failure is not null || (p = Interlocked.Increment(ref _next)) >= _done.Length) return false;
            try
            {
                bool finite = _prepare(p);
                lock (_gate) { _finite[p] = finite; _done[p] = true; Monitor.PulseAll(_gate); }
                return true;
            }
            catch (Exception e)
            {
                lock (_gate) { _failure ??= e; Monitor.PulseAll(_gate); }
                return false;
            }
        }

        /// <summary>
        /// Returns once piece <paramref name="piece"/> is ready, saying whether all its values
        /// are finite; rethrows a worker's failure. A caller that would wait prepares a later
        /// piece itself instead (pieces are claimed in order, so this one is already under
        /// way): when the consumer is faster than the workers, its core is not left idle.
        /// </summary>
        public bool WaitFor(int piece)
        {
            while (true)
            {
                lock (_gate)
                    if (_done[piece] || _failure is not null) break;
                if (PrepareNext()) continue;
                lock (_gate)
                    while (!_done[piece] && _failure is null) Monitor.Wait(_gate);
                break;
            }
            if (_done[piece]) return _finite[piece];
            if (_failure is InvalidDataException or IOException or UnauthorizedAccessException)
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(_failure).Throw();
            throw new IOException(_failure!.Message, _failure);
        }

        /// <summary>Stops taking pieces and waits for the workers, so none outlives the file.</summary>
        public void Stop()
        {
            _stop = true;
            try { Task.WaitAll(_tasks); } catch (AggregateException) { }
        }
    }

    // Not in the iterator: spans cannot live there.
    private void ConvertInto(float[] block, int start, byte[] raw)
    {
        int size = Header.ItemSize;
        int per = raw.Length / size;
        for (int k = 0; k < block.Length; k += per)
        {
            int count = Math.Min(per, block.Length - k);
            var bytes = raw.AsSpan(0, count * size);
            int got = NpyHeader.ReadFully(_stream, bytes);
            if (got < bytes.Length) throw EndedEarly(start, (long)k * size + got);
            for (int j = 0; j < count; j++) block[k + j] = (float)ReadFloat(bytes.Slice(j * size, size), Header);
        }
    }

    private InvalidDataException EndedEarly(int startRow, long bytesRead)
        => new($"'{Path}' ended early at row {startRow + bytesRead / ((long)Columns * Header.ItemSize)}.");

    internal static double ReadFloat(ReadOnlySpan<byte> b, NpyHeader h) => (h.ItemSize, h.BigEndian) switch
    {
        (2, false) => (double)BinaryPrimitives.ReadHalfLittleEndian(b),
        (2, true) => (double)BinaryPrimitives.ReadHalfBigEndian(b),
        (4, false) => BinaryPrimitives.ReadSingleLittleEndian(b),
        (4, true) => BinaryPrimitives.ReadSingleBigEndian(b),
        (8, false) => BinaryPrimitives.ReadDoubleLittleEndian(b),
        _ => BinaryPrimitives.ReadDoubleBigEndian(b),
    };

    public void Dispose() => _stream.Dispose();
}
