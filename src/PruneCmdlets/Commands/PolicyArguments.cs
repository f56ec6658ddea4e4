using System.Management.Automation;
using PruneCmdlets.Selection;

namespace PruneCmdlets.Commands;

/// <summary>
/// A policy as a cmdlet received it (-Keep, -KeepFraction or -KeepCount, -BalanceBy, -MinPerGroup,
/// -Temperature, -HardCutoff, -Bins, -Seed), with which of the optional words the call named, for
/// every cmdlet that takes a policy: Select-PrunedSet, Measure-SelectionStability and
/// Measure-ShardSummary. One place checks the call, so the three refuse the same calls with the
/// same ErrorIds.
/// </summary>
internal sealed class PolicyArguments
{
    public PolicyArguments(SelectionPolicy policy) => Policy = policy;

    /// <summary>The policy the words make (KeepFraction null with -KeepCount, MinPerGroup null when not given).</summary>
    public SelectionPolicy Policy { get; }

    public bool TemperatureGiven { get; init; }

    /// <summary>Which of -HardCutoff and -Bins the call named, if any (they apply to Stratified only).</summary>
    public string? StratifiedGiven { get; init; }

    /// <summary>The first thing wrong with the call, as the error a cmdlet throws; null when the policy is well formed.</summary>
    public ErrorRecord? Check()
    {
        var p = Policy;
        if (p.KeepFraction is { } f && !(f > 0 && f <= 1)) return ErrorHelper.InvalidKeepFraction(f);
        if (TemperatureGiven && p.BalanceBy != BalanceBy.Density) return NotApplicable("-Temperature", "-BalanceBy Density");
        if (StratifiedGiven is { } s && p.Keep != KeepStrategy.Stratified) return NotApplicable(s, "-Keep Stratified");
        if (p.MinPerGroup is not null && p.BalanceBy == BalanceBy.None) return NotApplicable("-MinPerGroup", "-BalanceBy Label, Cluster or Density");
        if (!(p.Temperature > 0) || double.IsInfinity(p.Temperature))
            return ErrorHelper.Terminating("InvalidTemperature", ErrorCategory.InvalidArgument,
                $"-Temperature must be a positive number; got {p.Temperature}. Smaller values favour complex clusters more strongly.", p.Temperature);
        if (!(p.Stratified.HardCutoff >= 0 && p.Stratified.HardCutoff < 1))
            return ErrorHelper.Terminating("InvalidHardCutoff", ErrorCategory.InvalidArgument,
                $"-HardCutoff is the fraction of the hardest records dropped before sampling: at least 0 and less than 1; got {p.Stratified.HardCutoff}.", p.Stratified.HardCutoff);
        return null;
    }

    private static ErrorRecord NotApplicable(string parameter, string needs)
        => ErrorHelper.Terminating("ParameterNotApplicable", ErrorCategory.InvalidArgument,
            $"{parameter} only applies with {needs}; remove it or add {needs}.", parameter.TrimStart('-'));
}
