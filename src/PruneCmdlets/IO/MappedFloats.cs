using System.Buffers;
using System.IO.MemoryMappedFiles;

namespace PruneCmdlets.IO;

/// <summary>
/// Float32 values of a file, mapped read-only from the operating system's file cache instead of
/// copied into fresh memory. Reading a file into new memory costs a zeroed page for every 4 KiB
/// (on virtual machines a fault in the host as well: 0.25–0.5 s per 400 MB here) plus the copy;
/// a mapping of a cached file costs neither, only a page-table entry on first touch. The
/// mapping lives as long as any <see cref="Memory{T}"/> over it (records hold one); it is
/// released by the finalizer once the last is gone, so it is never disposed explicitly.
/// Values change if another program rewrites the file in place while it is mapped, so the
/// module's own writers replace files instead (<see cref="NpyWriter"/>).
/// </summary>
internal sealed unsafe class MappedFloats : MemoryManager<float>
{
    private readonly MemoryMappedViewAccessor _view;
    private readonly float* _values;
    private readonly int _length;
    private int _released;

    /// <summary>Maps <paramref name="count"/> floats starting <paramref name="offset"/> bytes into <paramref name="file"/>.</summary>
    public MappedFloats(FileStream file, long offset, int count)
    {
        using (var map = MemoryMappedFile.CreateFromFile(file, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true))
            _view = map.CreateViewAccessor(offset, (long)count * sizeof(float), MemoryMappedFileAccess.Read); // the view outlives the map handle
        byte* start = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
        _values = (float*)(start + _view.PointerOffset);
        _length = count;
        // Start reading the file ahead of the first touches, in case it is not cached yet.
        PruneCmdlets.Numerics.LargeArray.AdviseWillNeed(_values, (long)count * sizeof(float));
    }

    // CA2015 warns that a span may outlive the last reference to its manager. Every user of
    // these rows holds the records (a cmdlet's collector field, for the whole of its
    // EndProcessing) or the memory itself for as long as it reads, so the finalizer runs only
    // once no code can still be reading the mapping.
#pragma warning disable CA2015
    ~MappedFloats() => Dispose(false);
#pragma warning restore CA2015

    public override Span<float> GetSpan() => new(_values, _length);

    public override MemoryHandle Pin(int elementIndex = 0) => new(_values + elementIndex); // mapped memory never moves

    public override void Unpin() { }

    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _released, 1) != 0) return;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        GC.SuppressFinalize(this);
    }
}
