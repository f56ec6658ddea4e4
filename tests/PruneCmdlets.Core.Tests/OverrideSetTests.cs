using System.Security.Cryptography;
using System.Text;
using PruneCmdlets.Review;
using Xunit;

namespace PruneCmdlets.Core.Tests;

/// <summary>overrides.csv as the report writes it, and the rule that applies it to a set of decisions.</summary>
public class OverrideSetTests : IDisposable
{
    private readonly TestData.TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    private static readonly (string Id, bool Kept)[] Decisions = { ("a", true), ("b", false), ("c", true), ("d", false) };
    private static readonly string Run = DecisionRun.Id(Decisions);

    private string Save(string text, bool mark = false)
    {
        string p = _dir.File($"overrides-{Guid.NewGuid():N}.csv");
        var bytes = Encoding.UTF8.GetBytes(text);
        File.WriteAllBytes(p, mark ? new byte[] { 0xEF, 0xBB, 0xBF }.Concat(bytes).ToArray() : bytes);
        return p;
    }

    private static OverrideException Fails(Action read) => Assert.Throws<OverrideException>(read);

    [Fact]
    public void Reads_quoted_notes_any_column_order_extra_columns_a_mark_and_hashes_the_bytes()
    {
        string path = Save($"Extra,RunId,kept,ID,Note\r\nx,{Run},TRUE,b,\"rare, the only \"\"good\"\" one\"\r\ny,{Run},false,c,\r\n", mark: true);
        var set = OverrideSet.Read(path);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))).ToLowerInvariant(), set.Sha256);
        Assert.Equal(new[] { ("b", true, "rare, the only \"good\" one", 2L), ("c", false, "", 3L) },
            set.Entries.Select(e => (e.Id, e.Kept, e.Note, e.Line)));
    }

    [Fact]
    public void Flips_one_each_way_and_a_confirmation_only_sets_the_reason()
    {
        var set = OverrideSet.Read(Save($"Id,Kept,Note,RunId\nd,true,\"rare, keep\",{Run}\na,false,,{Run}\nc,true,looked,{Run}\n"));
        var changes = set.Resolve(Decisions);
        Assert.Equal(new[]
            {
                (0, false, true, "pruned by review"),
                (2, true, false, "kept by review: looked"),
                (3, true, true, "kept by review: rare, keep"),
            },
            changes.Select(c => (c.Index, c.Kept, c.Flipped, c.Reason)));
    }

    [Fact]
    public void Another_run_is_refused_naming_both_run_ids()
    {
        string other = DecisionRun.Id(new[] { ("a", true), ("b", true), ("c", true), ("d", false) });
        var set = OverrideSet.Read(Save($"Id,Kept,Note,RunId\nb,true,,{other}\n"));
        var e = Fails(() => set.Resolve(Decisions));
        Assert.Equal("OverrideRunMismatch", e.ErrorId);
        Assert.Contains(Run, e.Message);
        Assert.Contains(other, e.Message);
        Assert.Contains("reviewed for another run", e.Message);
        Assert.Equal(set.Path, e.FilePath);
    }

    [Fact]
    public void An_unknown_id_is_refused_naming_it_and_its_line()
    {
        var set = OverrideSet.Read(Save($"Id,Kept,Note,RunId\nb,true,,{Run}\nzz,false,,{Run}\n"));
        var e = Fails(() => set.Resolve(Decisions));
        Assert.Equal("OverrideIdNotFound", e.ErrorId);
        Assert.Contains("'zz'", e.Message);
        Assert.Contains("Line 3", e.Message);
    }

    [Fact]
    public void An_id_two_records_share_is_refused()
    {
        var decisions = new[] { ("a", true), ("a", false) };
        var set = OverrideSet.Read(Save($"Id,Kept,Note,RunId\na,true,,{DecisionRun.Id(decisions)}\n"));
        Assert.Equal("OverrideIdAmbiguous", Fails(() => set.Resolve(decisions)).ErrorId);
    }

    [Theory]
    [InlineData("Id,Kept,Note,RunId\nb,true,,R\nb,false,,R\n", "DuplicateOverride", "lines 2 and 3")]
    [InlineData("Id,Kept,Note,RunId\nb,yes,,R\n", "InvalidOverrideKept", "Line 2")]
    [InlineData("Id,Kept,Note,RunId\nb,true,,R\nc,,,R\n", "InvalidOverrideKept", "Line 3")]
    [InlineData("Id,Kept,RunId\nb,true,R\n", "InvalidOverrideFile", "no Note column")]
    [InlineData("Id,Kept,Note,RunId\nb,true,\"never closed,R\n", "InvalidOverrideFile", "Line 2")]
    [InlineData("Id,Kept,Note,RunId\nb,true\n", "InvalidOverrideFile", "Line 2")]
    [InlineData("Id,Kept,Note,RunId\nb,true,,\n", "InvalidOverrideFile", "no RunId")]
    [InlineData("", "InvalidOverrideFile", "empty")]
    public void A_bad_file_is_refused_naming_what_and_where(string text, string errorId, string says)
    {
        var e = Fails(() => OverrideSet.Read(Save(text)));
        Assert.Equal(errorId, e.ErrorId);
        Assert.Contains(says, e.Message);
    }

    [Fact]
    public void A_header_only_file_changes_nothing()
        => Assert.Empty(OverrideSet.Read(Save("Id,Kept,Note,RunId\r\n")).Resolve(Decisions));
}
