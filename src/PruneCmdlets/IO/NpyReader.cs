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
            if (n > int.MaxValue || n * d > Array.MaxLength) throw new InvalidDataException($"'{path}' holds {n}×{d} values, more than one process can address as a single array.");
            long expected = n * d * header.ItemSize;
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
        long bytes = n * h.ItemSize;
        if (bytes > int.MaxValue) throw new InvalidDataException($"'{path}' is too large for a label file.");
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
            // Float32 in the machine's byte order: the background readers fill each block.
            foreach (var (block, first, rows) in ReadPieces(maxBlockFloats))
                if ((first + rows) * d == block.Length) yield return (block, first + rows);
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
    /// Like <see cref="ReadBlocks"/>, but yields each block as soon as a piece of it has
    /// arrived: (block, first row of the piece within the block, rows in the piece). A block is
    /// yielded once per piece, growing, and is never reused. Little-endian float32 in C order is
    /// read by background readers while the caller uses the rows already there, so reading
    /// (bound by page faults on fresh memory) overlaps with whatever the caller does; stopping
    /// early stops the reader. Other layouts come a block at a time.
    /// </summary>
    public IEnumerable<(float[] Block, int FirstRow, int Rows)> ReadPieces(int maxBlockFloats = 1 << 20)
    {
        int n = Rows, d = Columns;
        if (!ReadsDirectly)
        {
            foreach (var (block, rows) in ReadBlocks(maxBlockFloats)) yield return (block, 0, rows);
            yield break;
        }
        int rowsPerBlock = Math.Max(1, maxBlockFloats / d), rowsPerPiece = Math.Max(1, PieceFloats / d);
        for (int start = 0; start < n; start += rowsPerBlock)
        {
            int count = Math.Min(rowsPerBlock, n - start);
            var block = PruneCmdlets.Numerics.LargeArray.Allocate((long)count * d); // every value is read into it
            int pieces = (count + rowsPerPiece - 1) / rowsPerPiece;
            var reader = new PieceReader(this, block, Header.DataOffset + (long)start * d * sizeof(float), rowsPerPiece, count, start);
            try
            {
                for (int p = 0; p < pieces; p++)
                {
                    reader.WaitFor(p);
                    yield return (block, p * rowsPerPiece, Math.Min(rowsPerPiece, count - p * rowsPerPiece));
                }
            }
            finally { reader.Stop(); }
        }
        _stream.Position = Header.DataOffset + (long)n * d * sizeof(float);
    }

    private const int PieceFloats = 2 << 20; // 8 MB

    /// <summary>
    /// Fills one block piece by piece on background threads, taking pieces in order, so the
    /// caller can use each piece as soon as it is in. Two readers, because reading into fresh
    /// memory is bound by page faults, which two cores take twice as fast as one.
    /// </summary>
    private sealed class PieceReader
    {
        private const int Readers = 2;
        private readonly object _gate = new();
        private readonly bool[] _done;
        private readonly Task[] _tasks;
        private volatile bool _stop;
        private int _next = -1;
        private Exception? _failure;

        public PieceReader(NpyMatrix matrix, float[] block, long fileOffset, int rowsPerPiece, int rows, int firstRowInFile)
        {
            int d = matrix.Columns, pieces = (rows + rowsPerPiece - 1) / rowsPerPiece;
            var handle = ((FileStream)matrix._stream).SafeFileHandle;
            _done = new bool[pieces];
            _tasks = new Task[Math.Min(Readers, pieces)];
            for (int t = 0; t < _tasks.Length; t++)
                _tasks[t] = Task.Factory.StartNew(() =>
                {
                    try
                    {
                        int p;
                        while (!_stop && (p = Interlocked.Increment(ref _next)) < pieces)
                        {
                            int first = p * rowsPerPiece, count = Math.Min(rowsPerPiece, rows - first);
                            var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(block.AsSpan(first * d, count * d));
                            long at = fileOffset + (long)first * d * sizeof(float);
                            int got = 0;
                            while (got < bytes.Length)
                            {
                                int r = RandomAccess.Read(handle, bytes[got..], at + got);
                                if (r == 0) throw matrix.EndedEarly(firstRowInFile + first, got);
                                got += r;
                            }
                            lock (_gate) { _done[p] = true; Monitor.PulseAll(_gate); }
                        }
                    }
                    catch (Exception e)
                    {
                        lock (_gate) { _failure ??= e; Monitor.PulseAll(_gate); }
                    }
                }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        /// <summary>Blocks until piece <paramref name="piece"/> has arrived; rethrows a reader's failure.</summary>
        public void WaitFor(int piece)
        {
            lock (_gate)
                while (!_done[piece] && _failure is null) Monitor.Wait(_gate);
            if (_done[piece]) return;
            if (_failure is InvalidDataException or IOException or UnauthorizedAccessException)
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(_failure).Throw();
            throw new IOException(_failure!.Message, _failure);
        }

        /// <summary>Stops taking pieces and waits for the readers, so none outlives the file.</summary>
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
