using PruneCmdlets.IO;
using Xunit;

namespace PruneCmdlets.Core.Tests;

/// <summary>
/// RealPath follows links at every depth, as realpath(3) does; the destination checks of the
/// apply step rest on it.
/// </summary>
public class RealPathTests : IDisposable
{
    private readonly TestData.TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    private string P(params string[] parts) => Path.Combine(new[] { _dir.Path }.Concat(parts).ToArray());

    [Fact]
    public void Follows_links_in_the_middle_and_at_the_end_and_appends_what_does_not_exist()
    {
        Directory.CreateDirectory(P("data", "cat"));
        File.WriteAllText(P("data", "cat", "a.png"), "a");
        Directory.CreateDirectory(P("links"));
        Directory.CreateSymbolicLink(P("links", "alias"), P("data"));                                      // absolute
        File.CreateSymbolicLink(P("links", "a-link"), Path.Combine("alias", "cat", "a.png"));               // relative, through a link
        string real = Path.GetFullPath(P("data"));
        // The temp folder itself may lie behind a link (macOS /tmp): compare with its own real path.
        string data = RealPath.Of(real);

        Assert.Equal(Path.Combine(data, "cat", "new", "pruned"), RealPath.Of(P("links", "alias", "cat", "new", "pruned")));
        Assert.Equal(Path.Combine(data, "cat", "a.png"), RealPath.Of(P("links", "a-link")));
        Assert.Equal(data, RealPath.Of(P("links", "alias") + Path.DirectorySeparatorChar));
    }

    [Fact]
    public void Takes_dot_dot_after_the_link_it_follows()
    {
        Directory.CreateDirectory(P("deep", "er"));
        Directory.CreateDirectory(P("top"));
        Directory.CreateSymbolicLink(P("top", "jump"), P("deep", "er"));
        // top/jump/../x is deep/x (the link's parent), where a lexical .. would give top/x.
        File.CreateSymbolicLink(P("top", "via"), Path.Combine("jump", "..", "x"));
        Assert.Equal(Path.Combine(RealPath.Of(P("deep")), "x"), RealPath.Of(P("top", "via")));
    }

    [Fact]
    public void A_loop_is_an_IOException()
    {
        File.CreateSymbolicLink(P("one"), P("two"));
        File.CreateSymbolicLink(P("two"), P("one"));
        Assert.Throws<IOException>(() => RealPath.Of(P("one", "x")));
    }
}
