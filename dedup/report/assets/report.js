(function () {
"use strict";
var parseStart = performance.now();
var DATA = JSON.parse(document.getElementById("data").textContent);
document.documentElement.setAttribute("data-parse-ms", (performance.now() - parseStart).toFixed(1));
var ROWS = DATA.rows, DETAIL = DATA.detail, MEMBERS = DATA.members;
var COL = {id: 0, status: 1, chars: 2, removed: 3, cuts: 4, dupOf: 5, sim: 6, dkind: 7, batch: 8, detail: 9, input: 10, warnings: 11};
var INDEX = new Map();
ROWS.forEach(function (r, i) { INDEX.set(r[COL.id], i); });
var PAGE = 500, CONTEXT = 3, MAX_DIFF_ROWS = 6000;
var root = document.documentElement;

function el(tag, attrs) {
  var node = document.createElement(tag);
  if (attrs) for (var k in attrs) {
    if (attrs[k] === null || attrs[k] === undefined) continue;
    if (k === "class") node.className = attrs[k]; else node.setAttribute(k, attrs[k]);
  }
  for (var i = 2; i < arguments.length; i++) add(node, arguments[i]);
  return node;
}
function add(node, child) {
  if (child === null || child === undefined) return;
  if (Array.isArray(child)) { child.forEach(function (c) { add(node, c); }); return; }
  node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
}
var NUMBER = new Intl.NumberFormat("en-US");
function fmt(n) { return n === null || n === undefined ? "" : NUMBER.format(n); }
function pct(a, b) { return b ? (100 * a / b).toFixed(1) + "%" : "0.0%"; }
function simText(s) { return s === null || s === undefined ? "" : Number(s).toFixed(2); }
function docHref(id, at) { return "#doc=" + encodeURIComponent(id) + (at ? "&at=" + at : ""); }
function docLink(id, label) { return el("a", {href: docHref(id)}, label === undefined ? id : label); }

/* ---------------------------------------------------------------- code points */
// report.json offsets count code points; JS strings index UTF-16 units.
function unitOffsets(text, points) {
  var sorted = Array.from(new Set(points)).sort(function (a, b) { return a - b; });
  var map = new Map();
  if (!/[\uD800-\uDFFF]/.test(text)) { sorted.forEach(function (p) { map.set(p, Math.min(p, text.length)); }); return map; }
  var u = 0, cp = 0;
  sorted.forEach(function (p) {
    while (cp < p && u < text.length) {
      var c = text.charCodeAt(u);
      u += (c >= 0xD800 && c <= 0xDBFF && u + 1 < text.length) ? 2 : 1;
      cp++;
    }
    map.set(p, u);
  });
  return map;
}
var cleanedCache = new Map();
function cleanedText(id) {
  if (cleanedCache.has(id)) return cleanedCache.get(id);
  var d = DETAIL[id];
  if (!d || d.text === null) return null;
  var pts = [];
  d.removed.forEach(function (r) { pts.push(r[0], r[1]); });
  var map = unitOffsets(d.text, pts), out = [], at = 0;
  d.removed.forEach(function (r) {
    var s = map.get(r[0]), e = map.get(r[1]);
    if (s > at) out.push(d.text.slice(at, s));
    at = Math.max(at, e);
  });
  out.push(d.text.slice(at));
  var result = out.join("");
  cleanedCache.set(id, result);
  return result;
}

/* ---------------------------------------------------------------- table */
var state = {key: "removed", dir: -1, limit: PAGE, current: null};
var KEYS = {
  id: function (r) { return r[COL.id]; },
  status: function (r) { return r[COL.status]; },
  chars: function (r) { return r[COL.chars]; },
  removed: function (r) { return r[COL.removed]; },
  share: function (r) { return r[COL.chars] ? r[COL.removed] / r[COL.chars] : 0; },
  cuts: function (r) { return r[COL.cuts]; },
  dup: function (r) { return r[COL.dupOf] || ""; }
};
var tbody = document.querySelector("#doc-table tbody");
var fStatus = document.getElementById("f-status"), fMin = document.getElementById("f-min"), fId = document.getElementById("f-id");
var moreButton = document.getElementById("more"), allButton = document.getElementById("all");

function matching() {
  var status = fStatus.value, min = Number(fMin.value) || 0, needle = fId.value.trim().toLowerCase();
  var out = [];
  for (var i = 0; i < ROWS.length; i++) {
    var r = ROWS[i];
    if (status && r[COL.status] !== status) continue;
    if (r[COL.removed] < min) continue;
    if (needle && r[COL.id].toLowerCase().indexOf(needle) < 0) continue;
    out.push(i);
  }
  var key = KEYS[state.key], dir = state.dir;
  out.sort(function (a, b) {
    var x = key(ROWS[a]), y = key(ROWS[b]);
    return x < y ? -dir : x > y ? dir : a - b;
  });
  return out;
}

function rowNode(i) {
  var r = ROWS[i], id = r[COL.id];
  var dup = null;
  if (r[COL.dupOf]) {
    dup = [r[COL.batch] !== null && r[COL.batch] !== undefined ? el("span", null, r[COL.dupOf] + " (index)") : docLink(r[COL.dupOf]),
           el("span", {class: "note"}, " " + (r[COL.dkind] || "") + " " + simText(r[COL.sim]))];
  }
  var tr = el("tr", {"data-id": id, class: id === state.current ? "current" : null},
    el("td", {class: "id"}, docLink(id)),
    el("td", null, el("span", {class: "st st-" + r[COL.status]}, r[COL.status])),
    el("td", {class: "n"}, fmt(r[COL.chars])),
    el("td", {class: "n"}, fmt(r[COL.removed])),
    el("td", {class: "n"}, pct(r[COL.removed], r[COL.chars])),
    el("td", {class: "n"}, fmt(r[COL.cuts])),
    el("td", {class: "id"}, dup));
  return tr;
}

function renderTable() {
  var list = matching();
  var shown = list.slice(0, state.limit);
  var frag = document.createDocumentFragment();
  shown.forEach(function (i) { frag.appendChild(rowNode(i)); });
  tbody.replaceChildren(frag);
  document.getElementById("f-count").textContent =
    "showing " + fmt(shown.length) + " of " + fmt(list.length) + " matching (" + fmt(ROWS.length) + " documents)";
  moreButton.hidden = allButton.hidden = shown.length >= list.length;
  document.querySelectorAll("#doc-table th").forEach(function (th) {
    if (th.dataset.key === state.key) th.setAttribute("aria-sort", state.dir > 0 ? "ascending" : "descending");
    else th.removeAttribute("aria-sort");
  });
}

document.querySelectorAll("#doc-table th").forEach(function (th) {
  function sortBy() {
    var key = th.dataset.key;
    if (state.key === key) state.dir = -state.dir;
    else { state.key = key; state.dir = (key === "id" || key === "status" || key === "dup") ? 1 : -1; }
    renderTable();
  }
  th.addEventListener("click", sortBy);
  th.addEventListener("keydown", function (ev) { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); sortBy(); } });
});
[fStatus, fMin, fId].forEach(function (input) {
  input.addEventListener("input", function () { state.limit = PAGE; renderTable(); });
});
moreButton.addEventListener("click", function () { state.limit += PAGE; renderTable(); });
allButton.addEventListener("click", function () { state.limit = Infinity; renderTable(); });
tbody.addEventListener("click", function (ev) {
  if (ev.target.closest("a")) return;
  var tr = ev.target.closest("tr");
  if (tr) location.hash = docHref(tr.dataset.id).slice(1);
});

/* ---------------------------------------------------------------- document view */
var KIND_TEXT = {exact: "exact repeat", near: "near repeat", contained: "contained in a longer paragraph", marker: "continuation marker",
                 boilerplate: "boilerplate: a line many unrelated documents have"};

function spanTitle(r) {
  var t = KIND_TEXT[r[2]] || r[2];
  t += " (" + r[3] + ")";
  if (r[2] !== "marker") t += ", similarity " + simText(r[4]);
  t += "; characters " + r[0] + "–" + r[1];
  if (r[5] !== null) t += "; kept copy: " + r[5] + " " + r[6] + "–" + r[7] + " (click the label)";
  return t;
}

function textView(id, d) {
  var text = d.text, removed = d.removed, kept = d.kept;
  var pts = [0, codePoints(text)];
  var events = new Map();
  function ev(p) { if (!events.has(p)) events.set(p, {open: [], close: []}); return events.get(p); }
  removed.forEach(function (r) { pts.push(r[0], r[1]); });
  kept.forEach(function (k, i) { pts.push(k[0], k[1]); if (k[1] > k[0]) { ev(k[0]).open.push(i); ev(k[1]).close.push(i); } });
  var units = unitOffsets(text, pts);
  var bounds = Array.from(units.keys()).sort(function (a, b) { return a - b; });
  var pre = el("pre", {class: "text", id: "text"});
  if (/[\u3040-\u30ff]/.test(text)) pre.setAttribute("lang", "ja");
  else if (/[\u4e00-\u9fff]/.test(text)) pre.setAttribute("lang", "zh");
  var active = new Set(), ri = 0, mark = null, markEnd = -1;
  for (var b = 0; b + 1 < bounds.length; b++) {
    var p = bounds[b], q = bounds[b + 1];
    var e = events.get(p);
    if (e) { e.close.forEach(function (k) { active.delete(k); }); e.open.forEach(function (k) { active.add(k); }); }
    if (mark && p >= markEnd) mark = null;
    while (ri < removed.length && (removed[ri][0] < p || (removed[ri][0] === p && removed[ri][1] === p))) {
      // overlapping spans (a broken report) are skipped; an empty one still shows as an empty mark
      if (removed[ri][0] === p) pre.appendChild(emptyMark(removed[ri], ri));
      ri++;
    }
    if (!mark && ri < removed.length && removed[ri][0] === p) {
      var r = removed[ri];
      mark = markNode(r, ri);
      var label = r[2] + (r[2] === "marker" ? "" : " " + simText(r[4]));
      if (r[5] !== null) mark.appendChild(el("a", {class: "lbl", href: docHref(r[5], r[6] + "-" + r[7])}, label + " ↪"));
      else mark.appendChild(el("span", {class: "lbl"}, label));
      pre.appendChild(mark);
      markEnd = r[1];
      ri++;
    }
    var piece = text.slice(units.get(p), units.get(q));
    if (!piece) continue;
    var keptIds = active.size ? Array.from(active).join(" ") : null;
    if (mark) mark.appendChild(el("span", {class: keptIds ? "seg kept" : "seg", "data-k": keptIds}, piece));
    else if (keptIds) pre.appendChild(el("span", {class: "kept", "data-k": keptIds, title: "kept: a removed copy elsewhere points here"}, piece));
    else pre.appendChild(document.createTextNode(piece));
  }
  for (; ri < removed.length; ri++) if (removed[ri][0] === removed[ri][1]) pre.appendChild(emptyMark(removed[ri], ri));
  return pre;
}
function markNode(r, i) {
  return el("mark", {class: "rm k-" + r[2], "data-i": i, "data-kind": r[2], "data-start": r[0], "data-end": r[1], title: spanTitle(r)});
}
function emptyMark(r, i) {
  var m = markNode(r, i);
  m.appendChild(el("span", {class: "lbl"}, r[2] + " (empty)"));
  return m;
}
function codePoints(text) {
  var n = text.length, pairs = text.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g);
  return pairs ? n - pairs.length : n;
}

function spansTable(d) {
  return el("table", {class: "spans"},
    el("thead", null, el("tr", null, ["start", "end", "kind", "unit", "similarity", "kept copy", "text (start)"].map(function (h) { return el("th", null, h); }))),
    el("tbody", null, d.removed.map(function (r) {
      return el("tr", null, el("td", null, r[0]), el("td", null, r[1]), el("td", null, el("span", {class: "chip k-" + r[2]}, r[2])),
        el("td", null, r[3]), el("td", null, simText(r[4])),
        el("td", null, r[5] === null ? "" : el("a", {href: docHref(r[5], r[6] + "-" + r[7])}, r[5] + " " + r[6] + "–" + r[7])),
        el("td", null, r[8] || ""));
    })));
}

function common(a, b) {
  var n = Math.min(a.length, b.length), pre = 0, suf = 0;
  while (pre < n && a[pre] === b[pre]) pre++;
  while (suf < n - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  return [pre, suf];
}
function changed(line, pre, suf) {
  return [line.slice(0, pre), el("b", null, line.slice(pre, line.length - suf)), line.slice(line.length - suf)];
}

function diffView(id, d) {
  var diff = d.diff, box = el("div", {class: "diff-box", id: "diff"});
  box.appendChild(el("h3", null, "Cleaned text of this document (left) against the kept document ", docLink(diff.against), " (right)"));
  if (diff.skipped) { box.appendChild(el("p", {class: "note"}, "No diff: " + diff.skipped + ".")); return box; }
  var left = cleanedText(id).split(/\r\n|\r|\n/), right = cleanedText(diff.against).split(/\r\n|\r|\n/);
  var table = el("table", {class: "diff"}, el("colgroup", null, el("col", {class: "ln"}), el("col"), el("col", {class: "ln"}), el("col")));
  var body = el("tbody");
  table.appendChild(body);
  var rows = 0, capped = false;
  function line(i, j, lt, rt, lc, rc) {
    if (rows >= MAX_DIFF_ROWS) { capped = true; return null; }
    rows++;
    return el("tr", null, el("td", {class: "ln"}, i === null ? "" : i + 1), el("td", {class: lc}, lt),
      el("td", {class: "ln"}, j === null ? "" : j + 1), el("td", {class: rc}, rt));
  }
  function equalRows(i1, i2, j1) {
    var out = [];
    for (var k = i1; k < i2; k++) { var tr = line(k, j1 + k - i1, left[k], right[j1 + k - i1], "", ""); if (tr) out.push(tr); }
    return out;
  }
  var changes = 0;
  diff.ops.forEach(function (op, n) {
    var tag = op[0], i1 = op[1], i2 = op[2], j1 = op[3], j2 = op[4];
    if (tag === "equal") {
      var head = n === 0 ? 0 : CONTEXT, tail = n === diff.ops.length - 1 ? 0 : CONTEXT;
      if (i2 - i1 <= head + tail + 1) { add(body, equalRows(i1, i2, j1)); return; }
      add(body, equalRows(i1, i1 + head, j1));
      var hidden = i2 - i1 - head - tail, from = i1 + head, to = i2 - tail, jFrom = j1 + head;
      var fold = el("tr", {class: "fold", title: "click to show"}, el("td", {colspan: 4}, "⋯ " + fmt(hidden) + " unchanged lines ⋯"));
      fold.addEventListener("click", function () { fold.replaceWith.apply(fold, equalRows(from, to, jFrom)); });
      body.appendChild(fold);
      add(body, equalRows(to, i2, j1 + (to - i1)));
      return;
    }
    changes++;
    var n1 = i2 - i1, n2 = j2 - j1, m = Math.max(n1, n2);
    for (var k = 0; k < m; k++) {
      var a = k < n1 ? left[i1 + k] : null, b = k < n2 ? right[j1 + k] : null, tr;
      if (a !== null && b !== null) {
        var c = common(a, b);
        tr = line(i1 + k, j1 + k, changed(a, c[0], c[1]), changed(b, c[0], c[1]), "chg-del", "chg-ins");
      } else tr = line(a === null ? null : i1 + k, b === null ? null : j1 + k, a === null ? "" : a, b === null ? "" : b,
                       a === null ? "" : "del", b === null ? "" : "ins");
      if (tr) body.appendChild(tr);
    }
  });
  box.appendChild(el("p", {class: "note"}, changes ? fmt(changes) + " changed region(s); unchanged runs are folded." : "The cleaned texts are identical."));
  box.appendChild(table);
  if (capped) box.appendChild(el("p", {class: "note"}, "Diff cut at " + fmt(MAX_DIFF_ROWS) + " rows; run `dedup diff` for all of it."));
  if (diff.truncated) box.appendChild(el("p", {class: "note"}, "Only the first " + fmt(diff.truncated) + " lines of each side were compared."));
  return box;
}

function buildView(id) {
  var i = INDEX.get(id);
  if (i === undefined) return el("div", null, el("p", null, "No document ", el("code", null, id), " in this report."));
  var r = ROWS[i], d = DETAIL[id] || null;
  var view = el("div", {class: "docview", "data-doc": id});
  view.appendChild(el("h3", null, id, " ", el("span", {class: "st st-" + r[COL.status]}, r[COL.status])));
  var meta = el("dl", {class: "docmeta"});
  function item(k, v) { meta.appendChild(el("dt", null, k)); meta.appendChild(el("dd", null, v)); }
  item("input", r[COL.input] || "");
  item("characters", fmt(r[COL.chars]));
  item("removed", fmt(r[COL.removed]) + " (" + pct(r[COL.removed], r[COL.chars]) + ") in " + fmt(r[COL.cuts]) + " cut(s)");
  if (r[COL.status] === "duplicate") {
    var of = r[COL.batch] !== null && r[COL.batch] !== undefined
      ? [r[COL.dupOf], " (in the index, batch " + r[COL.batch] + ")"] : docLink(r[COL.dupOf]);
    item("duplicate of", [of, " — " + (r[COL.dkind] || "") + ", similarity " + simText(r[COL.sim]) + "; the whole document was dropped"]);
  }
  var dups = MEMBERS[id];
  if (dups && dups.length) item("its duplicates", dups.map(function (m, k) {
    return [k ? ", " : "", docLink(m[0]), " (" + m[1] + " " + simText(m[2]) + ")"];
  }));
  if (r[COL.warnings].length) item("warnings", r[COL.warnings].join("; "));
  view.appendChild(meta);
  if (d && d.diff) view.appendChild(diffView(id, d));
  if (d && d.text !== null) {
    view.appendChild(el("h3", null, d.removed.length ? "Original text, removed spans highlighted" : "Original text (nothing removed)"));
    if (d.removed.length || d.kept.length) view.appendChild(el("p", {class: "legend"}, "Removed: ",
      ["exact", "near", "contained", "marker", "boilerplate"].map(function (k) { return el("span", {class: "chip k-" + k}, k); }),
      " ", el("span", {class: "chip kept"}, "kept copy"), " — hover a highlight for details; its label jumps to the copy kept."));
    view.appendChild(textView(id, d));
  } else if (d && d.removed.length) {
    view.appendChild(el("p", {class: "note"}, "The original (" + (r[COL.input] || "?") + ") cannot be read back; the removed spans as the report lists them:"));
    view.appendChild(spansTable(d));
  } else if (!d) {
    view.appendChild(el("p", {class: "note"}, "Nothing was removed from this document; its text is not embedded in the report."));
  } else {
    view.appendChild(el("p", {class: "note"}, "The original (" + (r[COL.input] || "?") + ") cannot be read back."));
  }
  return view;
}

function keptIndex(id, s, e) {
  var d = DETAIL[id], k = -1;
  if (d) d.kept.forEach(function (span, i) { if (span[0] === s && span[1] === e) k = i; });
  return k;
}
function keptNodes(k) { return document.querySelectorAll('#view [data-k~="' + k + '"]'); }

function flashKept(at) {
  var m = /^(\d+)-(\d+)$/.exec(at || "");
  if (!m || !state.current) return false;
  var k = keptIndex(state.current, Number(m[1]), Number(m[2]));
  if (k < 0) return false;
  var nodes = keptNodes(k);
  if (!nodes.length) return false;
  nodes[0].scrollIntoView({block: "center"});
  nodes.forEach(function (node) { node.classList.remove("flash"); void node.offsetWidth; node.classList.add("flash"); });
  return true;
}

function openDoc(id, at) {
  var t0 = performance.now();
  var view = document.getElementById("view");
  if (state.current !== id || !view.firstChild || !view.firstChild.dataset || view.firstChild.dataset.doc !== id) {
    state.current = id;
    view.replaceChildren(buildView(id));
    view.getBoundingClientRect();  // lay it out now, so the time below includes layout
    tbody.querySelectorAll("tr.current").forEach(function (tr) { tr.classList.remove("current"); });
    tbody.querySelectorAll("tr").forEach(function (tr) { if (tr.dataset.id === id) tr.classList.add("current"); });
    document.title = id + " — dedup report";
  }
  if (!flashKept(at)) {
    var section = document.getElementById("view-section"), top = section.getBoundingClientRect().top;
    if (top < 0 || top > window.innerHeight * 0.6) section.scrollIntoView({block: "start"});  // already in sight: stay
  }
  root.setAttribute("data-view-doc", id);
  root.setAttribute("data-view-top", Math.round(document.getElementById("view-section").getBoundingClientRect().top) + "," + Math.round(window.scrollY));
  root.setAttribute("data-view-ms", (performance.now() - t0).toFixed(1));
  root.setAttribute("data-view-ready-ms", performance.now().toFixed(1));
}

function route() {
  var params = {};
  location.hash.replace(/^#/, "").split("&").forEach(function (part) {
    var eq = part.indexOf("=");
    if (eq < 0) return;
    var value = part.slice(eq + 1);
    try { value = decodeURIComponent(value); } catch (err) { /* a raw id typed by hand */ }
    params[part.slice(0, eq)] = value;
  });
  if (params.doc !== undefined) openDoc(params.doc, params.at);
}
window.addEventListener("hashchange", route);
document.addEventListener("click", function (ev) {
  var a = ev.target.closest && ev.target.closest('a[href^="#doc="]');
  if (a && a.getAttribute("href") === location.hash) { ev.preventDefault(); route(); }  // same link again: flash again
});

/* ---------------------------------------------------------------- start */
renderTable();
tbody.getBoundingClientRect();  // laid out, not just built
root.setAttribute("data-table-ready-ms", performance.now().toFixed(1));
root.setAttribute("data-table-rows", String(tbody.rows.length));
route();
})();
