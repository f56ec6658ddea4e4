using System.Management.Automation;
using PruneCmdlets.Selection;

namespace PruneCmdlets.Commands;

/// <summary>
/// The policy parameters as a cmdlet received them (-Keep, -KeepFraction or -KeepCount,
/// -BalanceBy, -MinPerGroup, -Temperature, -HardCutoff, -Bins, -Seed), for every cmdlet that
/// takes a policy: Select-PrunedSet, Measure-SelectionStability and Measure-ShardSummary. One
/// place checks them and builds the <see cref="SelectionPolicy"/>, so the three refuse the same
/// calls with the same ErrorIds and run the same policy from the same words.
/// </summary>
internal sealed class PolicyArguments
{
    public KeepStrategy Keep { get; init; } = KeepStrategy.Hard;

    /// <summary>The fraction, or null when the cmdlet was given -KeepCount.</summary>
    public double? KeepFraction { get; init; }

    public int? KeepCount { get; init; }
    public BalanceBy BalanceBy { get; init; } = BalanceBy.None;

    /// <summary>Null when -MinPerGroup was not given: the policy's own default applies.</summary>
    public int? MinPerGroup { get; init; }

    public double Temperature { get; init; } = DensityPruning.DefaultTemperature;
    public bool TemperatureGiven { get; init; }
    public StratifiedOptions Stratified { get; init; } = new();

    /// <summary>Which of -HardCutoff and -Bins the call named, if any (they apply to Stratified only).</summary>
    public string? StratifiedGiven { get; init; }

    public long Seed { get; init; }

    /// <summary>The first thing wrong with the call, as the error a cmdlet throws; null when the policy is well formed.</summary>
    public ErrorRecord? Check()
    {
        if (KeepFraction is { } f && !(f > 0 && f <= 1)) return ErrorHelper.InvalidKeepFraction(f);
        if (TemperatureGiven && BalanceBy != BalanceBy.Density) return NotApplicable("-Temperature", "-BalanceBy Density");
        if (StratifiedGiven is { } s && Keep != KeepStrategy.Stratified) return NotApplicable(s, "-Keep Stratified");
        if (MinPerGroup is not null && BalanceBy == BalanceBy.None) return NotApplicable("-MinPerGroup", "-BalanceBy Label, Cluster or Density");
        if (!(Temperature > 0) || double.IsInfinity(Temperature))
            return ErrorHelper.Terminating("InvalidTemperature", System.Management.Automation.ErrorCategory.InvalidArgument,
                $"-Temperature must be a positive number; got {Temperature}. Smaller values favour complex clusters more strongly.", Temperature);
        if (!(Stratified.HardCutoff >= 0 && Stratified.HardCutoff < 1))
            return ErrorHelper.Terminating("InvalidHardCutoff", System.Management.Automation.ErrorCategory.InvalidArgument,
                $"-HardCutoff is the fraction of the hardest records dropped before sampling: at least 0 and less than 1; got {Stratified.HardCutoff}.", Stratified.HardCutoff);
        return null;
    }

    public SelectionPolicy ToPolicy() => new()
    {
        Keep = Keep,
        KeepFraction = KeepFraction,
        KeepCount = KeepFraction is null ? KeepCount : null,
        BalanceBy = BalanceBy,
        MinPerGroup = MinPerGroup,
        Temperature = Temperature,
        Stratified = Stratified,
        Seed = Seed,
    };

    private static ErrorRecord NotApplicable(string parameter, string needs)
        => ErrorHelper.Terminating("ParameterNotApplicable", System.Management.Automation.ErrorCategory.InvalidArgument,
            $"{parameter} only applies with {needs}; remove it or add {needs}.", parameter.TrimStart('-'));
}
