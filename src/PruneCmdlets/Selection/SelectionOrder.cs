using PruneCmdlets.Sharding;

namespace PruneCmdlets.Selection;

/// <summary>
/// The one total order Hard, Easy and Random keep records in: a 64-bit primary key (the
/// Distance for Easy, its reverse for Hard, the per-Id draw for Random), then the Id compared
/// ordinally, then (only for records that share an Id) input order. A group keeps the first
/// quota records of this order. Because the order depends on nothing but each record's own
/// Distance, Id and the seed, the kept set is the same however the records are split into
/// shards, ordered or threaded, which is what lets a sharded run find the same cut.
/// </summary>
public static class SelectionOrder
{
    /// <summary>A double's IEEE bits mapped so that unsigned comparison is numeric comparison (−0 counts as +0).</summary>
    public static ulong Ordered(double value)
    {
        long bits = BitConverter.DoubleToInt64Bits(value + 0.0);
        return bits < 0 ? ~(ulong)bits : (ulong)bits | 0x8000000000000000UL;
    }

    /// <summary>The inverse of <see cref="Ordered"/>.</summary>
    public static double FromOrdered(ulong key)
        => BitConverter.Int64BitsToDouble((key & 0x8000000000000000UL) != 0 ? (long)(key & 0x7FFFFFFFFFFFFFFFUL) : (long)~key);

    /// <summary>The primary key of a record: smaller is kept first.</summary>
    public static ulong Primary(KeepStrategy strategy, double distance, string id, long seed) => strategy switch
    {
        KeepStrategy.Easy => Ordered(distance),
        KeepStrategy.Hard => ~Ordered(distance),
        KeepStrategy.Random => StableHash.RandomKey(seed, id),
        _ => throw new ArgumentException($"{strategy} does not keep records by one order.", nameof(strategy)),
    };

    /// <summary>Compares two records by (primary, Id ordinal).</summary>
    public static int Compare(ulong primaryA, string idA, ulong primaryB, string idB)
    {
        int c = primaryA.CompareTo(primaryB);
        return c != 0 ? c : string.CompareOrdinal(idA, idB);
    }
}
