/* The self-test of tests/test_browser.py, which runs it at the end of report.html's own script (where the page's
   ROWS, DETAIL, buildView, openDoc, renderTable … are in scope): it renders every document view and writes, per
   document, the highlighted spans (kind, start, end, text), what each "kept copy" link flashes, the size of the
   duplicate diff and a few table filter results as JSON into <pre id="selftest-result">, then sets the title to
   "selftest-done". Not shipped: the page a user opens has none of this. */
{
  var result = {documents: {}, errors: []};
  var view = document.getElementById("view");
  ROWS.forEach(function (r) {
    var id = r[COL.id];
    try {
      view.replaceChildren(buildView(id));
      var spans = [];
      view.querySelectorAll("mark.rm").forEach(function (m) {
        var text = "";
        m.querySelectorAll(".seg").forEach(function (s) { text += s.textContent; });
        spans.push({kind: m.dataset.kind, start: Number(m.dataset.start), end: Number(m.dataset.end), text: text});
      });
      var kept = [];
      view.querySelectorAll(".kept[data-k]").forEach(function (n) { kept.push(n.dataset.k); });
      var diff = view.querySelector("table.diff");
      result.documents[id] = {spans: spans, kept_pieces: kept.length, diff_rows: diff ? diff.rows.length : null,
                              has_text: !!view.querySelector("pre.text"), jumps: []};
    } catch (err) {
      result.errors.push(id + ": " + err);
    }
  });
  // every "kept copy" link: open its document, and read back what got flashed
  ROWS.forEach(function (r) {
    var id = r[COL.id], d = DETAIL[id];
    if (!d || !result.documents[id]) return;
    d.removed.forEach(function (span) {
      if (span[5] === null || !DETAIL[span[5]]) return;
      try {
        openDoc(span[5], span[6] + "-" + span[7]);
        var text = "";
        keptNodes(keptIndex(span[5], span[6], span[7])).forEach(function (n) { text += n.textContent; });
        result.documents[id].jumps.push({doc: span[5], start: span[6], end: span[7], text: text,
                                         flashed: document.querySelectorAll("#view .flash").length});
      } catch (err) {
        result.errors.push(id + " jump: " + err);
      }
    });
  });
  // the table: each status filter, the minimum filter, the id filter, sorting by id
  var table = {};
  ["", "cleaned", "unique", "duplicate"].forEach(function (status) {
    fStatus.value = status; renderTable(); table["status:" + status] = tbody.rows.length;
  });
  fStatus.value = ""; fMin.value = "1000"; renderTable(); table["min:1000"] = tbody.rows.length;
  fMin.value = "0"; fId.value = "00"; renderTable(); table["id:00"] = tbody.rows.length;
  fId.value = ""; state.key = "id"; state.dir = 1; renderTable();
  table.by_id = Array.from(tbody.rows).map(function (tr) { return tr.dataset.id; });
  document.querySelector('#doc-table th[data-key="id"]').click();
  table.by_id_clicked = Array.from(tbody.rows).map(function (tr) { return tr.dataset.id; });
  result.table = table;
  state.current = null;
  view.replaceChildren();
  var out = document.createElement("pre");
  out.id = "selftest-result";
  out.textContent = JSON.stringify(result);
  document.body.appendChild(out);
  document.title = "selftest-done";
}
