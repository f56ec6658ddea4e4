using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
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
/// BertTokenizer does it: control and format characters removed, whitespace split, CJK
/// ideographs split one per token, punctuation split, then (uncased) lower-cased and accents
/// stripped (NFD, non-spacing marks removed), then greedy longest-match word pieces from the
/// vocabulary, a word with no match becoming [UNK]. Truncation keeps the first MaxLength−2 pieces.
///
/// Two gaps of BertTokenizer 3.0.0 against Hugging Face are closed here, because the model was
/// trained on Hugging Face's tokens: its basic pre-tokeniser keeps only word characters and
/// Unicode punctuation, so it silently drops every symbol ($ + ^ ` © ° € ² and all emoji), where
/// BERT keeps symbols inside words (and has most of them in its vocabulary); and its normaliser
/// keeps format characters (zero-width space and joiner, soft hyphen, direction marks), which
/// BERT removes, and removes tabs and line breaks, which BERT reads as spaces. A pre-tokeniser with BERT's rule (split at whitespace; every punctuation
/// character, ASCII !-/ :-@ [-` {-~ or Unicode P*, a token of its own; all else joined into
/// words) and a cleaning pass (Cf/Co/Cn removed, tab/CR/LF to spaces) fix them.
/// Thread-safe: BertTokenizer keeps no per-call state.
/// </summary>
public sealed class WordPieceTokenizer
{
    // BERT's BasicTokenizer: _is_punctuation (ASCII non-alphanumerics and Unicode P*) splits off
    // single characters; whitespace separates; everything else belongs to a word.
    private static readonly Regex BertPreTokenization = new(@"[!-/:-@\[-`{-~\p{P}]|[^\s!-/:-@\[-`{-~\p{P}]+", RegexOptions.Compiled | RegexOptions.CultureInvariant);

    private readonly BertTokenizer _tokenizer;

    public WordPieceTokenizer(string vocabPath, TextTokenization options)
    {
        if (options.MaxLength < 3) throw new ArgumentOutOfRangeException(nameof(options), "MaxLength must leave room for [CLS], [SEP] and one word piece.");
        Options = options;
        var vocab = File.ReadLines(vocabPath).Select(l => l.TrimEnd('\r')).ToHashSet(StringComparer.Ordinal);
        foreach (var s in new[] { "[CLS]", "[SEP]", "[UNK]", "[PAD]" })
            if (!vocab.Contains(s)) throw new InvalidDataException($"The vocabulary '{vocabPath}' has no {s} entry; it is not a BERT word-piece vocabulary (one token per line, as vocab.txt).");
        _tokenizer = BertTokenizer.Create(vocabPath, new BertOptions
        {
            LowerCaseBeforeTokenization = options.LowerCase,
            RemoveNonSpacingMarks = options.LowerCase,   // Hugging Face: strip_accents follows do_lower_case
            IndividuallyTokenizeCjk = true,
            ApplyBasicTokenization = true,
            PreTokenizer = new RegexPreTokenizer(BertPreTokenization, null),
        });
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
        var pieces = _tokenizer.EncodeToIds(CleanForBert(text), addSpecialTokens: false);
        int keep = Math.Min(pieces.Count, Options.MaxLength - 2);
        var ids = new long[keep + 2];
        ids[0] = ClsId;
        for (int i = 0; i < keep; i++) ids[i + 1] = pieces[i];
        ids[^1] = SepId;
        return new TokenizedText(ids, pieces.Count, pieces.Count - keep);
    }

    /// <summary>
    /// BERT's _clean_text where BertTokenizer differs: format (Cf), private-use (Co) and
    /// unassigned (Cn) characters and lone surrogates removed, and tab, line feed and carriage
    /// return made spaces (BertTokenizer removes them as controls, which glued "hello\nworld"
    /// into one word). Other controls (Cc) it removes itself.
    /// </summary>
    private static string CleanForBert(string text)
    {
        int i = 0, width = 0;
        while (i < text.Length && Classify(text, i, out width) == CharFix.Keep) i += width;
        if (i >= text.Length) return text;
        var sb = new StringBuilder(text.Length);
        sb.Append(text, 0, i);
        while (i < text.Length)
        {
            switch (Classify(text, i, out width))
            {
                case CharFix.Keep: sb.Append(text, i, width); break;
                case CharFix.Space: sb.Append(' '); break;
            }
            i += width;
        }
        return sb.ToString();
    }

    private enum CharFix { Keep, Drop, Space }

    private static CharFix Classify(string text, int i, out int width)
    {
        char c = text[i];
        width = 1;
        if (c is '\t' or '\n' or '\r') return CharFix.Space;
        if (c < 0x80) return CharFix.Keep;
        if (char.IsHighSurrogate(c))
        {
            if (i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1])) return CharFix.Drop;
            width = 2;
        }
        else if (char.IsLowSurrogate(c)) return CharFix.Drop;
        return CharUnicodeInfo.GetUnicodeCategory(text, i) is UnicodeCategory.Format or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned
            ? CharFix.Drop : CharFix.Keep;
    }
}
