using Parquet;
using Parquet.Schema;

namespace PruneCmdlets.IO;

/// <summary>
/// Reads one flat (not repeated) column of a row group as the type a record property needs,
/// whatever physical type the writing tool chose: pandas writes int64 ids, Spark int32 labels,
/// DuckDB strings. A column of a type that cannot become the property is a
/// <see cref="ParquetProblem.WrongColumnType"/>.
/// </summary>
internal static class ParquetScalarColumns
{
    /// <summary>True for a column that holds one value per row (not a list or a struct member).</summary>
    public static bool IsFlat(Field field) => field is DataField { MaxRepetitionLevel: 0 } && !field.Path.ToString().Contains(ParquetSchema.PathSeparator);

    public static bool IsString(DataField f) => f.ClrType == typeof(string) || f.ClrType == typeof(ReadOnlyMemory<char>);

    /// <summary>Strings as they are; integers and booleans in their invariant spelling (an int64 id 42 becomes "42").</summary>
    public static bool CanReadAsString(DataField f) => IsString(f) || IsInteger(f.ClrType) || f.ClrType == typeof(bool);

    public static bool CanReadAsNumber(DataField f) => IsInteger(f.ClrType) || f.ClrType == typeof(float) || f.ClrType == typeof(double);

    public static bool CanReadAsInteger(DataField f) => IsInteger(f.ClrType);

    public static async Task<string?[]> ReadStringsAsync(ParquetRowGroupReader group, DataField f, int rows, CancellationToken cancel)
    {
        if (IsString(f))
        {
            var values = new string?[rows];
            await group.ReadAsync(f, values.AsMemory(), null, cancel).ConfigureAwait(false);
            return values;
        }
        if (f.ClrType == typeof(bool)) return Format(await ReadValuesAsync<bool>(group, f, rows, cancel).ConfigureAwait(false), b => b ? "True" : "False");
        var longs = await ReadIntegersAsync(group, f, rows, cancel).ConfigureAwait(false);
        return Format(longs, v => v.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Any integer or floating-point column as doubles.</summary>
    public static async Task<double?[]> ReadNumbersAsync(ParquetRowGroupReader group, DataField f, int rows, CancellationToken cancel)
    {
        if (f.ClrType == typeof(double)) return await ReadValuesAsync<double>(group, f, rows, cancel).ConfigureAwait(false);
        if (f.ClrType == typeof(float)) return Convert(await ReadValuesAsync<float>(group, f, rows, cancel).ConfigureAwait(false), v => (double)v);
        return Convert(await ReadIntegersAsync(group, f, rows, cancel).ConfigureAwait(false), v => (double)v);
    }

    /// <summary>Any integer column as int32; a value beyond int32 is an error naming its row (within the group).</summary>
    public static async Task<int?[]> ReadInt32sAsync(ParquetRowGroupReader group, DataField f, int rows, CancellationToken cancel)
    {
        if (f.ClrType == typeof(int)) return await ReadValuesAsync<int>(group, f, rows, cancel).ConfigureAwait(false);
        var longs = await ReadIntegersAsync(group, f, rows, cancel).ConfigureAwait(false);
        var result = new int?[rows];
        for (int i = 0; i < rows; i++)
        {
            if (longs[i] is long v && (v < int.MinValue || v > int.MaxValue)) throw new OverflowException($"row {i} of the row group holds {v}, beyond a 32-bit integer");
            result[i] = (int?)longs[i];
        }
        return result;
    }

    public static Task<bool?[]> ReadBooleansAsync(ParquetRowGroupReader group, DataField f, int rows, CancellationToken cancel)
        => ReadValuesAsync<bool>(group, f, rows, cancel);

    private static bool IsInteger(Type t) => t == typeof(int) || t == typeof(long) || t == typeof(short) || t == typeof(sbyte)
        || t == typeof(byte) || t == typeof(ushort) || t == typeof(uint) || t == typeof(ulong);

    private static async Task<long?[]> ReadIntegersAsync(ParquetRowGroupReader group, DataField f, int rows, CancellationToken cancel)
    {
        var t = f.ClrType;
        if (t == typeof(long)) return await ReadValuesAsync<long>(group, f, rows, cancel).ConfigureAwait(false);
        if (t == typeof(int)) return Convert(await ReadValuesAsync<int>(group, f, rows, cancel).ConfigureAwait(false), v => (long)v);
        if (t == typeof(short)) return Convert(await ReadValuesAsync<short>(group, f, rows, cancel).ConfigureAwait(false), v => (long)v);
        if (t == typeof(sbyte)) return Convert(await ReadValuesAsync<sbyte>(group, f, rows, cancel).ConfigureAwait(false), v => (long)v);
        if (t == typeof(byte)) return Convert(await ReadValuesAsync<byte>(group, f, rows, cancel).ConfigureAwait(false), v => (long)v);
        if (t == typeof(ushort)) return Convert(await ReadValuesAsync<ushort>(group, f, rows, cancel).ConfigureAwait(false), v => (long)v);
        if (t == typeof(uint)) return Convert(await ReadValuesAsync<uint>(group, f, rows, cancel).ConfigureAwait(false), v => (long)v);
        if (t == typeof(ulong))
            return Convert(await ReadValuesAsync<ulong>(group, f, rows, cancel).ConfigureAwait(false),
                v => v <= long.MaxValue ? (long)v : throw new OverflowException($"the column holds {v}, beyond a 64-bit signed integer"));
        throw new InvalidOperationException($"column '{f.Name}' of type {t.Name} is not an integer column");
    }

    private static async Task<T?[]> ReadValuesAsync<T>(ParquetRowGroupReader group, DataField f, int rows, CancellationToken cancel) where T : struct
    {
        var values = new T?[rows];
        if (f.IsNullable) await group.ReadAsync<T>(f, values.AsMemory(), null, cancel).ConfigureAwait(false);
        else
        {
            var dense = new T[rows];
            await group.ReadAsync<T>(f, dense.AsMemory(), null, cancel).ConfigureAwait(false);
            for (int i = 0; i < rows; i++) values[i] = dense[i];
        }
        return values;
    }

    private static TOut?[] Convert<TIn, TOut>(TIn?[] values, Func<TIn, TOut> convert) where TIn : struct where TOut : struct
    {
        var result = new TOut?[values.Length];
        for (int i = 0; i < values.Length; i++) if (values[i] is TIn v) result[i] = convert(v);
        return result;
    }

    private static string?[] Format<T>(T?[] values, Func<T, string> format) where T : struct
    {
        var result = new string?[values.Length];
        for (int i = 0; i < values.Length; i++) if (values[i] is T v) result[i] = format(v);
        return result;
    }
}
