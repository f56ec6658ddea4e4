using PruneCmdlets.Clustering;
using Xunit;

namespace PruneCmdlets.Core.Tests;

/// <summary>The one rule for "the same k-means model": the same object or the same fingerprint.</summary>
public class SameClusteringTests
{
    private static KMeansModel Model(params float[] centroids) => new(centroids, centroids.Length / 2, 2, DistanceMetric.Euclidean);

    [Fact]
    public void TwoObjectsWithOneFingerprint_AreOneClustering()
    {
        KMeansModel a = Model(1, 0, 0, 1), copy = Model(1, 0, 0, 1), other = Model(1, 0, 0, 2);
        Assert.True(KMeansModel.SameClustering(a, a));
        Assert.True(KMeansModel.SameClustering(a, copy));
        Assert.False(KMeansModel.SameClustering(a, other));
        Assert.False(KMeansModel.SameClustering(a, null));
        Assert.True(KMeansModel.SameClustering(null, null));
        // The metric is part of the clustering: the same centroids under Cosine place records otherwise.
        Assert.False(KMeansModel.SameClustering(a, new KMeansModel(new float[] { 1, 0, 0, 1 }, 2, 2, DistanceMetric.Cosine)));
    }

    [Fact]
    public void IndexOfOtherClustering_NamesTheFirstThatDiffers()
    {
        KMeansModel a = Model(1, 0, 0, 1), copy = Model(1, 0, 0, 1), other = Model(3, 0, 0, 1);
        Assert.Equal(-1, KMeansModel.IndexOfOtherClustering(new[] { a, copy, a, copy }));
        Assert.Equal(2, KMeansModel.IndexOfOtherClustering(new[] { a, copy, other, a }));
        Assert.Equal(-1, KMeansModel.IndexOfOtherClustering(Array.Empty<KMeansModel?>()));
        // Missing models are passed over, unless a missing one beside a present one differs.
        Assert.Equal(-1, KMeansModel.IndexOfOtherClustering(new[] { null, a, null, copy }));
        Assert.Equal(3, KMeansModel.IndexOfOtherClustering(new[] { null, a, null, other }));
        Assert.Equal(1, KMeansModel.IndexOfOtherClustering(new[] { null, a }, missingDiffers: true));
        Assert.Equal(2, KMeansModel.IndexOfOtherClustering(new[] { a, copy, null }, missingDiffers: true));
        Assert.Equal(-1, KMeansModel.IndexOfOtherClustering(new KMeansModel?[] { null, null }, missingDiffers: true));
    }
}
