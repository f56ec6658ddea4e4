namespace PruneCmdlets.IO;

/// <summary>The file formats Import-Embedding and Export-Embedding read and write (-Format).</summary>
public enum EmbeddingFileFormat
{
    /// <summary>By extension: .parquet, .parq and .pq (and folders, on import) are Parquet; anything else is .npy.</summary>
    Auto,
    /// <summary>A NumPy .npy float matrix, with labels and ids in side files.</summary>
    Npy,
    /// <summary>Apache Parquet: id, path, label, embedding and annotation columns in one file.</summary>
    Parquet,
}
