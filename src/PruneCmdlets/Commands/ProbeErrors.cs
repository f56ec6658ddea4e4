using System.Management.Automation;

namespace PruneCmdlets.Commands;

/// <summary>The errors only Test-PruningStrategy reports, with stable ErrorIds (shared ones stay in <see cref="ErrorHelper"/>).</summary>
internal static class ProbeErrors
{
    public static ErrorRecord UnseenTestLabel(Probing.UnseenLabelException e)
        => new(e, "UnseenTestLabel", ErrorCategory.InvalidData, e.Labels.ToArray());

    public static ErrorRecord InvalidTestRecord(object item, int index)
        => new(new ArgumentException($"Test set item {index} has no numeric Vector property; -TestSet takes records with Vector and Label, e.g. from Get-Embedding or Import-Embedding. It was left out."),
            "InvalidTestRecord", ErrorCategory.InvalidArgument, item);

    public static ErrorRecord UnlabelledTestRecord(object item, string id)
        => new(new ArgumentException($"Test record '{id}' has no Label, so its prediction cannot be scored; it was left out."),
            "MissingTestLabel", ErrorCategory.InvalidData, item);

    public static ErrorRecord NonFiniteTestVector(object item, string id)
        => new(new ArgumentException($"The vector of test record '{id}' holds NaN or infinity; it was left out."),
            "NonFiniteVector", ErrorCategory.InvalidData, item);

    public static ErrorRecord EmptyTestSet()
        => new(new ArgumentException("-TestSet holds no usable record (each needs a numeric Vector and a Label); pass held-out records that were not piped in as training data."),
            "EmptyTestSet", ErrorCategory.InvalidArgument, null);

    public static ErrorRecord TestSetDimensionMismatch(object item, string id, int got, int expected)
        => new(new ArgumentException($"Test record '{id}' has {got} dimensions but the training records have {expected}; embed the test set with the same model."),
            "TestSetDimensionMismatch", ErrorCategory.InvalidArgument, item);

    public static ErrorRecord TooFewClasses(int classes)
        => new(new ArgumentException($"The training records have {classes} distinct label(s); a classifier needs at least 2. Pipe in labelled records from more than one class."),
            "TooFewClasses", ErrorCategory.InvalidData, null);

    public static ErrorRecord InvalidC(double value)
        => new(new ArgumentOutOfRangeException("C", value, $"-C must be a positive, finite number (the inverse regularisation strength; 1 is the default); got {value}."),
            "InvalidC", ErrorCategory.InvalidArgument, value);
}
