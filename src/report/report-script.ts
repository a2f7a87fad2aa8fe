/**
 * The report page's script, inlined. It draws the tree from the embedded JSON lazily: a
 * collapsed node's children are not in the DOM until opened, and no draw makes more than
 * MAX_ROWS rows, so a tree of thousands of processes stays responsive. Every string goes
 * in with textContent (never innerHTML): command lines are attacker-controlled.
 */
export const REPORT_SCRIPT = `
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var nodes = data.nodes;
  var view = document.getElementById('tree-view');
  var search = document.getElementById('search');
  var status = document.getElementById('search-status');
  var MAX_ROWS = 2000;
  var parentOf = new Int32Array(nodes.length).fill(-1);
  nodes.forEach(function (n, i) { n.k.forEach(function (c) { parentOf[c] = i; }); });
  var hay = nodes.map(function (n) { return (n.p + ' ' + n.c + ' ' + (n.e || '') + ' ' + (n.u || '')).toLowerCase(); });
  var open = new Uint8Array(nodes.length);
  function openDefault() {
    open.fill(0);
    data.roots.forEach(function (r) { open[r] = 1; });
    // The path to the asked process is open, so it shows at once.
    nodes.forEach(function (n, i) { if (n.ch) { for (var j = parentOf[i]; j >= 0; j = parentOf[j]) open[j] = 1; } });
  }
  var rendered = 0;
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function row(i, filter) {
    var n = nodes[i];
    rendered++;
    var div = el('div', 'node');
    div.setAttribute('role', 'treeitem');
    div.dataset.pid = String(n.p);
    var r = el('span', 'row' + (n.ch ? ' chain' : '') + (n.self ? ' self' : '') + (filter && filter.hits[i] ? ' hit' : ''));
    var kids = filter ? n.k.filter(function (c) { return filter.show[c]; }) : n.k;
    var expanded = kids.length > 0 && (filter !== null || open[i] === 1);
    var t = el('button', 'toggle' + (kids.length === 0 ? ' leaf' : ''), kids.length === 0 ? '' : expanded ? '\\u25BE' : '\\u25B8');
    t.type = 'button';
    t.title = kids.length + ' child process(es): open or close';
    if (kids.length > 0) div.setAttribute('aria-expanded', String(expanded));
    r.appendChild(t);
    r.appendChild(el('span', 'pid', String(n.p)));
    r.appendChild(el('span', 'cmd', n.c || '?'));
    if (!n.sk) { var s = el('span', 'seen', '~'); s.title = 'seen since: it existed before its first record'; r.appendChild(s); }
    if (n.n) { var d = el('span', 'doubt', '?'); d.title = n.n.join('\\n'); r.appendChild(d); }
    if (n.u) r.appendChild(el('span', 'user', n.u));
    if (n.pk) r.appendChild(el('span', 'kind ' + n.pk, n.pk));
    r.appendChild(el('span', 'life', n.l));
    if (n.ie) { var ie = el('span', 'inferred', 'inferred: ' + n.ie); ie.title = 'end inferred, not recorded: ' + n.ie; r.appendChild(ie); }
    if (n.ev) r.appendChild(el('span', 'ev', n.ev));
    div.appendChild(r);
    if (expanded) {
      var box = el('div', 'kids');
      box.setAttribute('role', 'group');
      for (var k = 0; k < kids.length; k++) {
        if (rendered >= MAX_ROWS) { box.appendChild(el('div', 'more', '\\u2026 ' + (kids.length - k) + ' more here: filter, or close some subtrees')); break; }
        box.appendChild(row(kids[k], filter));
      }
      div.appendChild(box);
    }
    if (filter === null && kids.length > 0) {
      t.addEventListener('click', function () {
        open[i] = open[i] ? 0 : 1;
        rendered = 0;
        div.replaceWith(row(i, null));
      });
    }
    return div;
  }
  function draw(filter) {
    rendered = 0;
    var frag = document.createDocumentFragment();
    data.roots.forEach(function (r) { if (filter === null || filter.show[r]) frag.appendChild(row(r, filter)); });
    view.replaceChildren(frag);
  }
  function applyFilter() {
    var q = search.value.trim().toLowerCase();
    if (q === '') { status.textContent = nodes.length + ' processes'; draw(null); return; }
    var hits = new Uint8Array(nodes.length), show = new Uint8Array(nodes.length), count = 0;
    for (var i = 0; i < nodes.length; i++) {
      if (hay[i].indexOf(q) < 0) continue;
      hits[i] = 1; count++;
      for (var j = i; j >= 0 && !show[j]; j = parentOf[j]) show[j] = 1;
    }
    status.textContent = count + ' of ' + nodes.length + ' processes match';
    draw({ hits: hits, show: show });
  }
  var timer = 0;
  search.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(applyFilter, 80); });
  document.getElementById('expand-all').addEventListener('click', function () { search.value = ''; open.fill(1); applyFilter(); });
  document.getElementById('collapse-all').addEventListener('click', function () { search.value = ''; openDefault(); applyFilter(); });
  var zoom = 14;
  function setZoom(px) { zoom = Math.max(8, Math.min(28, px)); document.documentElement.style.setProperty('--zoom', zoom + 'px'); }
  document.getElementById('zoom-in').addEventListener('click', function () { setZoom(zoom + 2); });
  document.getElementById('zoom-out').addEventListener('click', function () { setZoom(zoom - 2); });
  openDefault();
  applyFilter();
  document.body.dataset.ready = 'true';
})();
`;
