using PruneCmdlets.Review;
using Xunit;

namespace PruneCmdlets.Core.Tests;

public class DecisionRunTests
{
    // sha256sum of printf 'a\x1f1\x1eb\x1f0\x1e\xc3\xa9\x1f1\x1e' (the records sorted by Id, ordinal), first 32 hex digits.
    private const string Expected = "3945daeee6540776d1dede4436c50cec";

    [Fact]
    public void MatchesTheDocumentedHashInAnyInputOrder()
    {
        Assert.Equal(Expected, DecisionRun.Id(new[] { ("a", true), ("b", false), ("é", true) }));
        Assert.Equal(Expected, DecisionRun.Id(new[] { ("é", true), ("b", false), ("a", true) }));
    }

    [Fact]
    public void ChangesWithOneFlipOrOneMoreRecord()
    {
        var baseline = DecisionRun.Id(new[] { ("a", true), ("b", false), ("é", true) });
        Assert.NotEqual(baseline, DecisionRun.Id(new[] { ("a", true), ("b", true), ("é", true) }));
        Assert.NotEqual(baseline, DecisionRun.Id(new[] { ("a", true), ("b", false), ("é", true), ("c", false) }));
        // The separators keep Ids from running together: "ab"+"c" is not "a"+"bc".
        Assert.NotEqual(DecisionRun.Id(new[] { ("ab", true), ("c", true) }), DecisionRun.Id(new[] { ("a", true), ("bc", true) }));
    }
}
