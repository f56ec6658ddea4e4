using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using static PruneCmdlets.Report.HtmlBuilder;
using static PruneCmdlets.Report.ReportText;

namespace PruneCmdlets.Report;

/// <summary>
/// Review in the page: every shown record can be flipped (keep ↔ prune) and given a note, a bar
/// counts the overrides and what they change, a search box finds any Id in an index of every
/// record, and "Download decisions" saves overrides.csv through a Blob link, which
/// Export-PrunedSet -Override and Select-PrunedSet -Override apply. The page stays one offline
/// file: the policy allows only this script, by its hash, and no request of any kind.
/// </summary>
public static partial class PruneReportWriter
{
    /// <summary>The header of overrides.csv, a contract with the apply step that reads it.</summary>
    public const string OverridesHeader = "Id,Kept,Note,RunId";

    /// <summary>Search results shown at most: enough to pick from, few enough to draw at once.</summary>
    public const int MaxSearchResults = 50;

    /// <summary>The policy of every report: nothing may be fetched, only the report's own script runs.</summary>
    public static string ContentSecurityPolicy { get; } =
        $"default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(ReviewScript)))}'";

    /// <summary>The bar: overrides so far, the counts they change, the download, the search.</summary>
    private static void ReviewBar(HtmlBuilder h, IReadOnlyList<Report.ReportRecord> r, string runId)
    {
        int kept = r.Count(x => x.Kept);
        h.Open("div", "id", "review", "class", "review-bar", "data-total", r.Count.ToString(C), "data-kept", kept.ToString(C));
        h.Open("div", "class", "review-row");
        h.Element("strong", $"No overrides", "data-review", "overrides");
        h.Open("span", "class", "review-counts");
        h.Text($"kept ").Element("span", $"{kept:N0}", "data-review", "kept-before").Text($" → ").Element("span", $"{kept:N0}", "data-review", "kept-after");
        h.Text($" · pruned ").Element("span", $"{r.Count - kept:N0}", "data-review", "pruned-before").Text($" → ").Element("span", $"{r.Count - kept:N0}", "data-review", "pruned-after");
        h.Close();
        h.Element("button", $"Download decisions", "type", "button", "id", "review-download", "disabled", "disabled");
        h.Empty("input", "type", "search", "id", "review-search", "placeholder", (ReportText)$"Find an Id (exact or prefix)", "aria-label", (ReportText)$"Find an Id", "autocomplete", "off", "spellcheck", "false");
        h.Element("span", $"run {Own(runId)}", "class", "review-run", "data-run-id", runId);
        h.Close();
        h.Element("p", default, "id", "review-found", "class", "note", "hidden", "hidden");
        h.Empty("ol", "id", "review-results", "class", "review-list", "hidden", "hidden");
        h.Open("details", "id", "review-overrides", "hidden", "hidden");
        h.Element("summary", $"Overrides");
        h.Empty("ol", "class", "review-list");
        h.Close();
        h.Element("p", $"Flip a record with its Keep or Prune button and add a note; Download decisions saves overrides.csv for Export-PrunedSet -Override. Nothing is stored in the browser: reloading the page starts over.", "class", "note review-help");
        h.Close();
    }

    /// <summary>The flip button and the note field of one record (its figure carries data-id).</summary>
    private static void ReviewControls(HtmlBuilder h, bool kept)
    {
        h.Open("span", "class", "review-ctl");
        h.Element("button", Own(kept ? "Prune" : "Keep"), "type", "button", "class", "flip");
        h.Empty("input", "type", "text", "class", "note", "maxlength", "200", "placeholder", (ReportText)$"note", "aria-label", (ReportText)$"note");
        h.Close();
    }

    /// <summary>
    /// Every record, sorted by Id in ordinal (UTF-16 code unit) order, which is the order of
    /// JavaScript's string comparison, so the script finds an Id or a prefix by binary search.
    /// Columns rather than objects, labels and reasons as indices into their distinct values: about
    /// 20 bytes a record beyond the Id itself.
    /// </summary>
    private static void ReviewIndex(HtmlBuilder h, IReadOnlyList<ReportRecord> r, string runId)
    {
        var order = new int[r.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(order, (a, b) => string.CompareOrdinal(r[a].Id, r[b].Id) is var c && c != 0 ? c : a.CompareTo(b));
        h.JsonBlock("review-index", w =>
        {
            w.WriteStartObject();
            w.WriteString("runId", runId);
            w.WriteNumber("total", r.Count);
            w.WriteNumber("kept", r.Count(x => x.Kept));
            w.WriteStartArray("ids");
            foreach (int i in order) w.WriteStringValue(r[i].Id);
            w.WriteEndArray();
            var k = new StringBuilder(r.Count);
            foreach (int i in order) k.Append(r[i].Kept ? '1' : '0');
            w.WriteString("k", k.ToString());
            Dictionary("labels", "l", x => x.Label);
            Dictionary("reasons", "r", x => x.Reason);
            w.WriteStartArray("c");
            foreach (int i in order) w.WriteNumberValue(r[i].Cluster ?? -1);
            w.WriteEndArray();
            w.WriteEndObject();

            void Dictionary(string valuesName, string indexName, Func<ReportRecord, string?> of)
            {
                var seen = new Dictionary<string, int>(StringComparer.Ordinal);
                var values = new List<string>();
                var index = new int[order.Length];
                for (int j = 0; j < order.Length; j++)
                {
                    string? v = of(r[order[j]]);
                    if (v is null) { index[j] = -1; continue; }
                    if (!seen.TryGetValue(v, out int at)) { seen[v] = at = values.Count; values.Add(v); }
                    index[j] = at;
                }
                w.WriteStartArray(valuesName);
                foreach (var v in values) w.WriteStringValue(v);
                w.WriteEndArray();
                w.WriteStartArray(indexName);
                foreach (int v in index) w.WriteNumberValue(v);
                w.WriteEndArray();
            }
        });
    }

    // ASCII only: the policy's hash is over these bytes. Every data string reaches the page through
    // textContent (never innerHTML), inside a <bdi> as the server-side markup isolates it.
    internal const string ReviewScript = """
(function () {
  'use strict';
  // The index of a million records takes seconds to parse on a slow machine: it is parsed after
  // the page has painted, or at the first flip or search if that comes sooner.
  var data = null, ids = null, flags = null;
  function index() {
    if (data === null) { data = JSON.parse(document.getElementById('review-index').textContent); ids = data.ids; flags = data.k; }
    return data;
  }
  var flipped = new Map(), notes = new Map();
  var bar = document.getElementById('review');
  var total = Number(bar.dataset.total), kept = Number(bar.dataset.kept);
  var download = document.getElementById('review-download');
  var search = document.getElementById('review-search');
  var results = document.getElementById('review-results');
  var found = document.getElementById('review-found');
  var list = document.getElementById('review-overrides');
  var MAX = 50;
  document.documentElement.classList.add('review-on');

  function lowerBound(q) {
    index();
    var lo = 0, hi = ids.length;
    while (lo < hi) { var mid = (lo + hi) >>> 1; if (ids[mid] < q) lo = mid + 1; else hi = mid; }
    return lo;
  }
  function at(id) { var i = lowerBound(id); return i < ids.length && ids[i] === id ? i : -1; }
  function original(id) { var i = at(id); return i < 0 ? null : flags.charCodeAt(i) === 49; }
  function isKept(id) { var o = original(id); return flipped.has(id) ? !o : o; }
  function fmt(n) { return n.toLocaleString('en-US'); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function field(s) { return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s; }

  function paint(node, id) {
    var k = isKept(id), f = flipped.has(id);
    node.classList.toggle('kept', k);
    node.classList.toggle('pruned', !k);
    node.classList.toggle('flipped', f);
    var badge = node.querySelector('.badge');
    if (badge) { badge.textContent = (k ? 'kept' : 'pruned') + (f ? ' (review)' : ''); badge.className = 'badge ' + (k ? 'kept' : 'pruned'); }
    var button = node.querySelector('button.flip');
    if (button) button.textContent = k ? 'Prune' : 'Keep';
    var note = node.querySelector('input.note');
    if (note && note !== document.activeElement) note.value = notes.get(id) || '';
  }
  function views(id, fn) {
    document.querySelectorAll('[data-id]').forEach(function (node) { if (node.dataset.id === id) fn(node); });
  }

  function update() {
    var toKept = 0, toPruned = 0, n = flipped.size;
    flipped.forEach(function (v, id) { if (isKept(id)) toKept++; else toPruned++; });
    bar.querySelector('[data-review=overrides]').textContent = n === 0 ? 'No overrides' : n + (n === 1 ? ' override' : ' overrides');
    bar.querySelector('[data-review=kept-after]').textContent = fmt(kept + toKept - toPruned);
    bar.querySelector('[data-review=pruned-after]').textContent = fmt(total - kept - toKept + toPruned);
    bar.classList.toggle('changed', n > 0);
    download.disabled = n === 0;
    var ol = list.querySelector('ol');
    ol.textContent = '';
    Array.from(flipped.keys()).sort().forEach(function (id) {
      var li = el('li');
      li.appendChild(el('bdi', 'cap-id', id));
      li.appendChild(el('span', null, isKept(id) ? ' \u2192 kept' : ' \u2192 pruned'));
      var note = notes.get(id);
      if (note) { li.appendChild(el('span', null, ': ')); li.appendChild(el('bdi', 'cap-meta', note)); }
      var undo = el('button', 'undo', 'Undo');
      undo.type = 'button';
      undo.dataset.undo = id;
      li.appendChild(undo);
      ol.appendChild(li);
    });
    list.hidden = n === 0;
  }

  function flip(id) {
    if (original(id) === null) return;
    if (flipped.has(id)) flipped.delete(id); else flipped.set(id, true);
    views(id, function (node) { paint(node, id); });
    update();
  }

  function csv() {
    var out = 'Id,Kept,Note,RunId\n';
    Array.from(flipped.keys()).sort().forEach(function (id) {
      out += field(id) + ',' + (isKept(id) ? 'true' : 'false') + ',' + field(notes.get(id) || '') + ',' + index().runId + '\n';
    });
    return out;
  }

  function resultRow(i) {
    var id = ids[i], li = el('li', 'result');
    li.dataset.id = id;
    li.appendChild(el('bdi', 'cap-id', id));
    var meta = el('span', 'cap-meta');
    var label = data.l[i] < 0 ? null : data.labels[data.l[i]];
    meta.appendChild(document.createTextNode('label: '));
    meta.appendChild(el('bdi', null, label === null ? '(none)' : label));
    if (data.c[i] >= 0) meta.appendChild(document.createTextNode(' \u00b7 cluster ' + data.c[i]));
    if (data.r[i] >= 0) { meta.appendChild(document.createTextNode(' \u00b7 ')); meta.appendChild(el('bdi', null, data.reasons[data.r[i]])); }
    li.appendChild(meta);
    li.appendChild(el('span', 'badge'));
    var ctl = el('span', 'review-ctl');
    var button = el('button', 'flip');
    button.type = 'button';
    ctl.appendChild(button);
    var note = el('input', 'note');
    note.type = 'text'; note.maxLength = 200; note.placeholder = 'note';
    note.setAttribute('aria-label', 'note');
    ctl.appendChild(note);
    li.appendChild(ctl);
    paint(li, id);
    return li;
  }

  function find(q) {
    results.textContent = '';
    if (q === '') { results.hidden = true; found.hidden = true; return; }
    var i = lowerBound(q), shown = 0;
    for (; i < ids.length && shown < MAX && ids[i].startsWith(q); i++, shown++) results.appendChild(resultRow(i));
    var more = i < ids.length && ids[i].startsWith(q);
    found.textContent = shown === 0 ? 'No Id starts with that.' : more ? 'The first ' + MAX + ' Ids that start with it, in order:' : shown + (shown === 1 ? ' Id' : ' Ids') + ' found:';
    found.hidden = false;
    results.hidden = shown === 0;
  }

  document.addEventListener('click', function (e) {
    var t = e.target;
    if (!(t instanceof Element)) return;
    var undo = t.closest('button.undo');
    if (undo) { flip(undo.dataset.undo); return; }
    var button = t.closest('button.flip');
    if (!button) return;
    var holder = button.closest('[data-id]');
    if (holder) flip(holder.dataset.id);
  });
  document.addEventListener('input', function (e) {
    var t = e.target;
    if (t === search) { find(search.value); return; }
    if (!(t instanceof HTMLInputElement) || !t.classList.contains('note')) return;
    var holder = t.closest('[data-id]');
    if (!holder) return;
    var id = holder.dataset.id;
    notes.set(id, t.value);
    views(id, function (node) { var n = node.querySelector('input.note'); if (n && n !== t) n.value = t.value; });
    update();
  });
  download.addEventListener('click', function () {
    var url = URL.createObjectURL(new Blob([csv()], { type: 'text/csv;charset=utf-8' }));
    var a = document.createElement('a');
    a.href = url;
    a.download = 'overrides.csv';
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
  });
  update();
  requestAnimationFrame(function () { setTimeout(index, 0); });
})();
""";
}
