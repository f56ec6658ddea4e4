using System.Globalization;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace PruneCmdlets.Embedding;

/// <summary>How a BERT-family model expects its text tokenised.</summary>
public sealed record TextTokenization
{
    /// <summary>Lower-case and strip accents before tokenising (uncased models, such as all-MiniLM-L6-v2).</summary>
    public bool LowerCase { get; init; } = true;
    /// <summary>Most word pieces a model input holds, [CLS] and [SEP] included (the model's max_seq_length).</summary>
    public int MaxLength { get; init; } = 256;
}

/// <summary>One text as the model sees it: [CLS], up to MaxLength−2 word pieces, [SEP].</summary>
public sealed record TokenizedText(long[] Ids, int WordPieces, int Truncated)
{
    public int Length => Ids.Length;
}

/// <summary>
/// BERT word-piece tokenisation (Microsoft.ML.Tokenizers' BertTokenizer) as Hugging Face's
/// BertTokenizer does it: control characters removed, whitespace split, CJK ideographs split
/// one per token, punctuation split, then (uncased) lower-cased and accents stripped (NFD,
/// non-spacing marks removed), then greedy longest-match word pieces from the vocabulary, a
/// word with no match becoming [UNK]. Truncation keeps the first MaxLength−2 pieces.
///
/// One difference is repaired here: BertTokenizer 3.0.0 drops characters outside the Basic
/// Multilingual Plane (emoji, astral CJK) as if they were control characters, where Hugging
/// Face keeps them and maps their word to [UNK]. Such a character is replaced by a BMP symbol
/// that is not in the vocabulary, so its word becomes [UNK] as in training.
/// Thread-safe: BertTokenizer keeps no per-call state.
/// </summary>
public sealed class WordPieceTokenizer
{
    // Candidates for the stand-in: symbols (category So), unchanged by lower-casing and NFD,
    // neither punctuation nor CJK, which a BERT vocabulary rarely holds.
    private static readonly char[] StandInCandidates = { '\u237C', '\u2BD1', '\u2B9B', '\u2A74' };

    private readonly BertTokenizer _tokenizer;
    private readonly char _standIn;

    public WordPieceTokenizer(string vocabPath, TextTokenization options)
    {
        if (options.MaxLength < 3) throw new ArgumentOutOfRangeException(nameof(options), "MaxLength must leave room for [CLS], [SEP] and one word piece.");
        Options = options;
        _tokenizer = BertTokenizer.Create(vocabPath, new BertOptions
        {
            LowerCaseBeforeTokenization = options.LowerCase,
            RemoveNonSpacingMarks = options.LowerCase,   // Hugging Face: strip_accents follows do_lower_case
            IndividuallyTokenizeCjk = true,
            ApplyBasicTokenization = true,
            SplitOnSpecialTokens = true,
        });
        var vocab = File.ReadLines(vocabPath).Select(l => l.TrimEnd('\r')).ToHashSet(StringComparer.Ordinal);
        foreach (var s in new[] { "[CLS]", "[SEP]", "[UNK]", "[PAD]" })
            if (!vocab.Contains(s)) throw new InvalidDataException($"The vocabulary '{vocabPath}' has no {s} entry; it is not a BERT word-piece vocabulary (one token per line, as vocab.txt).");
        _standIn = StandInCandidates.FirstOrDefault(c => !vocab.Contains(c.ToString()) && !vocab.Contains("##" + c));
        if (_standIn == default) throw new InvalidDataException($"The vocabulary '{vocabPath}' holds every stand-in symbol for characters outside the Basic Multilingual Plane.");
        ClsId = _tokenizer.ClassificationTokenId;
        SepId = _tokenizer.SeparatorTokenId;
        PadId = _tokenizer.PaddingTokenId;
    }

    public TextTokenization Options { get; }
    public int ClsId { get; }
    public int SepId { get; }
    public int PadId { get; }

    public TokenizedText Encode(string text)
    {
        var pieces = _tokenizer.EncodeToIds(RepairAstral(text), addSpecialTokens: false);
        int keep = Math.Min(pieces.Count, Options.MaxLength - 2);
        var ids = new long[keep + 2];
        ids[0] = ClsId;
        for (int i = 0; i < keep; i++) ids[i + 1] = pieces[i];
        ids[^1] = SepId;
        return new TokenizedText(ids, pieces.Count, pieces.Count - keep);
    }

    /// <summary>
    /// Characters outside the BMP as Hugging Face treats them: control, format, private-use and
    /// unassigned ones removed (its _clean_text), accents removed when stripping, CJK ideographs
    /// a token of their own, every other one a character the vocabulary lacks.
    /// </summary>
    private string RepairAstral(string text)
    {
        int i = 0;
        while (i < text.Length && !char.IsSurrogate(text[i])) i++;
        if (i == text.Length) return text;
        var sb = new StringBuilder(text.Length);
        sb.Append(text, 0, i);
        for (; i < text.Length; i++)
        {
            char c = text[i];
            if (!char.IsSurrogate(c)) { sb.Append(c); continue; }
            if (!char.IsHighSurrogate(c) || i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1])) continue; // lone surrogate: removed, as U+FFFD is
            int cp = char.ConvertToUtf32(c, text[i + 1]);
            i++;
            var category = CharUnicodeInfo.GetUnicodeCategory(cp);
            if (category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned or UnicodeCategory.Surrogate) continue;
            if (category == UnicodeCategory.NonSpacingMark && Options.LowerCase) continue;
            if (IsAstralCjk(cp)) sb.Append(' ').Append(_standIn).Append(' ');
            else sb.Append(_standIn);
        }
        return sb.ToString();
    }

    // The astral CJK blocks of BERT's _is_chinese_char (extensions B–E and the compatibility supplement).
    private static bool IsAstralCjk(int cp) => cp is >= 0x20000 and <= 0x2A6DF or >= 0x2A700 and <= 0x2B73F
        or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF or >= 0x2F800 and <= 0x2FA1F;
}
