using PruneCmdlets.Probing;

namespace PruneCmdlets.Selection;

/// <summary>
/// Sorscher et al. (2022) in one rule, for -Keep Auto without a measured recommendation:
/// the best direction depends on how much data survives the cut. With abundant data (at least
/// <see cref="AbundantPerGroup"/> kept records per class, or per cluster when unlabelled) keep
/// the hard samples; with scarce data keep the easy ones; balance classes when labels exist.
/// </summary>
public static class AutoRule
{
    /// <summary>Kept records per class from which data counts as abundant.</summary>
    public const int AbundantPerGroup = 1000;

    /// <summary>Below this keep fraction the paper found pruning with an imperfect metric harmful.</summary>
    public const double SmallFraction = 0.2;

    public static KeepStrategy Direction(int kept, int groups) => kept / (double)Math.Max(1, groups) >= AbundantPerGroup ? KeepStrategy.Hard : KeepStrategy.Easy;

    /// <summary>
    /// Resolves a -Keep Auto <paramref name="policy"/> over the <paramref name="candidates"/>
    /// (the records no earlier stage pruned): the measured <paramref name="recommendation"/> when
    /// given (its strategy, balance and fraction; its exclusion unless <paramref name="excludeGiven"/>,
    /// its seed for Random), otherwise <see cref="Direction"/>, balancing by label when every
    /// record has one and the caller did not choose a balance (<paramref name="balanceGiven"/>).
    /// Says what it chose and why, and warns about a very small keep fraction.
    /// </summary>
    public static AutoChoice Resolve(SelectionPolicy policy, IReadOnlyList<EmbeddingRecord> candidates, PruningRecommendation? recommendation,
        bool balanceGiven = false, bool excludeGiven = false)
    {
        if (policy.Keep != KeepStrategy.Auto) throw new ArgumentException("Only a -Keep Auto policy is resolved.", nameof(policy));
        if (recommendation is { } r)
        {
            var exclude = r.Exclude.Count > 0 && !excludeGiven ? r.Exclude.Distinct().ToArray() : policy.Exclude;
            var chosen = policy with
            {
                Keep = r.Keep,
                BalanceBy = r.BalanceBy,
                KeepFraction = r.KeepFraction,
                KeepCount = null,
                Exclude = exclude,
                Seed = r.Keep == KeepStrategy.Random ? r.Seed : policy.Seed,
            };
            return new AutoChoice(chosen,
                $"-Keep Auto follows the probe's recommendation: keep {r.KeepFraction:0.###} ({r.Keep}, balanced by {r.BalanceBy}{(exclude.Count > 0 ? ", excluding " + string.Join(", ", exclude) : "")}); {r.Reason}",
                null);
        }
        int n = candidates.Count;
        bool labelled = candidates.All(x => !string.IsNullOrEmpty(x.Label));
        var balance = policy.BalanceBy == BalanceBy.None && !balanceGiven && labelled ? BalanceBy.Label : policy.BalanceBy;
        int groups = labelled ? candidates.Select(x => x.Label).Distinct(StringComparer.Ordinal).Count()
            : Math.Max(1, candidates.Where(x => x.Cluster is not null).Select(x => x.Cluster).Distinct().Count());
        int kept = policy.KeepFraction is { } f ? QuotaSelector.CountForFraction(f, n) : Math.Min(policy.KeepCount ?? n, n);
        var keep = Direction(kept, groups);
        string why = $"-Keep Auto without a recommendation: {kept} kept records over {groups} {(labelled ? "classes" : "clusters")} is " +
            $"{kept / (double)groups:0} per group, {(keep == KeepStrategy.Hard ? "abundant" : "scarce")} by the rule (≥ {AbundantPerGroup} per group keeps the hard samples, " +
            $"fewer the easy ones; Sorscher et al. 2022), so Keep {keep}" + (balance != BalanceBy.None ? $", balanced by {balance}." : ".") +
            " Test-PruningStrategy measures the choice on your own data.";
        string? warning = kept < SmallFraction * n
            ? $"Keeping {kept} of {n} records ({kept / (double)n:P0}): Sorscher et al. (2022) found very small keep fractions harmful with an imperfect metric; measure it first with Test-PruningStrategy."
            : null;
        return new AutoChoice(policy with { Keep = keep, BalanceBy = balance }, why, warning);
    }
}

/// <summary>What -Keep Auto chose: the concrete policy, the sentence that says why, and a warning when the choice is risky.</summary>
public sealed record AutoChoice(SelectionPolicy Policy, string Explanation, string? Warning);
