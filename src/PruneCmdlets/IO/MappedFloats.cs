using System.Buffers;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace PruneCmdlets.IO;

/// <summary>
/// Float32 values of a file, mapped read-only from the operating system's file cache instead of
/// copied into fresh memory. Reading a file into new memory costs a zeroed page for every 4 KiB
/// (on virtual machines a fault in the host as well: 0.25–0.5 s per 400 MB here) plus the copy;
/// a mapping of a cached file costs neither, only a page-table entry on first touch. The
/// mapping lives as long as any <see cref="Memory{T}"/> over it (records hold one); it is
/// released by the finalizer once the last is gone, so it is never disposed explicitly.
/// Values would change if another program rewrote the file in place while it is mapped (and
/// reading past a shortened end would crash the process), so the module's own writers replace
/// files instead (<see cref="NpyWriter"/>), and the cmdlets call <see cref="EnsureUnchanged"/>
/// before they read the rows.
/// </summary>
internal sealed unsafe class MappedFloats : MemoryManager<float>
{
    private readonly MemoryMappedViewAccessor _view;
    private readonly SafeFileHandle _file; // the mapped file itself, even after another is renamed over its path
    private readonly long _fileLength;
    private readonly DateTime _lastWrite;
    private readonly float* _values;
    private readonly int _length;
    private int _released;

    /// <summary>Maps <paramref name="count"/> floats starting <paramref name="offset"/> bytes into the file at <paramref name="path"/>.</summary>
    public MappedFloats(string path, long offset, int count)
    {
        Path = path;
        _file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        try
        {
            _fileLength = RandomAccess.GetLength(_file);
            _lastWrite = File.GetLastWriteTimeUtc(_file);
            long bytes = (long)count * sizeof(float);
            if (offset + bytes > _fileLength)
                throw new InvalidDataException($"'{path}' holds {_fileLength} bytes, fewer than its header promised: it changed while it was being opened.");
            using (var map = MemoryMappedFile.CreateFromFile(_file, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true))
                _view = map.CreateViewAccessor(offset, bytes, MemoryMappedFileAccess.Read); // the view outlives the map handle
        }
        catch
        {
            _file.Dispose();
            GC.SuppressFinalize(this); // nothing was mapped
            throw;
        }
        byte* start = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
        _values = (float*)(start + _view.PointerOffset);
        _length = count;
        // Start reading the file ahead of the first touches, in case it is not cached yet.
        PruneCmdlets.Numerics.LargeArray.AdviseMapping(_values, (long)count * sizeof(float), PruneCmdlets.Numerics.LargeArray.MappingAdvice.WillNeed);
    }

    // CA2015 warns that a span may outlive the last reference to its manager. Every user of
    // these rows holds the records (a cmdlet's collector field, for the whole of its
    // EndProcessing) or the memory itself for as long as it reads, so the finalizer runs only
    // once no code can still be reading the mapping.
#pragma warning disable CA2015
    ~MappedFloats() => Dispose(false);
#pragma warning restore CA2015

    /// <summary>The mapped file.</summary>
    public string Path { get; }

    /// <summary>
    /// True when the file has been written to or resized since it was mapped: its rows are no
    /// longer the ones imported (or no longer there). One file-status call; a file replaced by
    /// renaming another over its path is unaffected, as the mapping still holds the old one.
    /// </summary>
    public bool FileChanged => RandomAccess.GetLength(_file) != _fileLength || File.GetLastWriteTimeUtc(_file) != _lastWrite;

    /// <summary>The mapping behind <paramref name="block"/>, or null when it is ordinary memory.</summary>
    public static MappedFloats? Of(ReadOnlyMemory<float> block) => MemoryMarshal.TryGetMemoryManager(block, out MappedFloats? mapped) ? mapped : null;

    /// <summary>Throws <see cref="InvalidDataException"/> when <paramref name="block"/> is a mapping whose file has changed.</summary>
    public static void EnsureUnchanged(ReadOnlyMemory<float> block)
    {
        if (Of(block) is { FileChanged: true } mapped) throw new InvalidDataException(ChangedMessage(mapped.Path));
    }

    public static string ChangedMessage(string path)
        => $"'{path}' was written to after Import-Embedding read it, so its records no longer hold the rows they were imported with. Import the file again; to update embeddings while their records are in use, write a new file (or replace the file, as Export-Embedding does) rather than rewrite it in place.";

    public override Span<float> GetSpan() => new(_values, _length);

    public override MemoryHandle Pin(int elementIndex = 0) => new(_values + elementIndex); // mapped memory never moves

    public override void Unpin() { }

    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _released, 1) != 0) return;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
        GC.SuppressFinalize(this);
    }
}
