/** The report page's CSS, inlined (no network at view time). */
export const REPORT_CSS = `
:root { --zoom: 14px; font-family: system-ui, sans-serif; color: #1d232b; background: #fbfbfc; }
body { margin: 0 auto; max-width: 1400px; padding: 12px 20px 40px; }
h1 { font-size: 20px; margin: 4px 0 8px; }
h2 { font-size: 16px; margin: 22px 0 8px; border-bottom: 1px solid #d7dbe0; padding-bottom: 4px; }
header dl, #event-facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0; font-size: 13px; }
header dt, #event-facts dt { color: #5a6470; } header dd, #event-facts dd { margin: 0; font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
.mono, td.cmd, .node .cmd, .facts { font-family: ui-monospace, Menlo, monospace; }
td.mono { white-space: nowrap; }
.banner { padding: 6px 10px; border-radius: 4px; margin: 8px 0; font-size: 13px; }
.banner.uncertain { background: #fff4d6; border: 1px solid #e8c35a; }
.banner.certain { background: #e6f4ea; border: 1px solid #8cc79d; }
table.chain { border-collapse: collapse; width: 100%; font-size: 13px; }
table.chain th { text-align: left; background: #eef1f4; padding: 4px 6px; white-space: nowrap; }
table.chain td { border-top: 1px solid #e2e6ea; padding: 4px 6px; vertical-align: top; }
td.cmd { overflow-wrap: anywhere; max-width: 560px; }
tr.self td { background: #eaf2ff; }
details.records summary { cursor: pointer; color: #2d5fa8; font-size: 13px; } .field { margin-right: 6px; }
.inferred { display: inline-block; padding: 0 5px; border-radius: 3px; background: #ffd9d2; color: #8a1c00; font-size: 0.85em; font-family: system-ui, sans-serif; }
.seen { color: #8a5a00; } .doubt { color: #a03a00; font-weight: 600; }
ul.notes { margin: 2px 0 0 16px; padding: 0; color: #a03a00; font-size: 12px; }
details.facts { font-size: 12px; } details.facts summary { cursor: pointer; color: #2d5fa8; }
details.facts li { overflow-wrap: anywhere; }
.ev { color: #6b7480; font-size: 0.85em; }
.kind { display: inline-block; padding: 0 5px; border-radius: 3px; background: #eef1f4; font-size: 0.85em; }
.kind.reparent, .kind.orphaned, .kind.reparent-unverified { background: #ffe3c2; }
.toolbar { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin-bottom: 6px; font-size: 13px; }
.toolbar input { font-size: 14px; padding: 4px 8px; width: 320px; }
.toolbar button { font-size: 13px; padding: 3px 8px; }
#tree-view { font-size: var(--zoom); border: 1px solid #d7dbe0; background: #fff; padding: 6px; max-height: 75vh; overflow: auto; }
.node { white-space: nowrap; line-height: 1.55; }
.node .row { display: inline-flex; gap: 8px; align-items: baseline; padding: 0 4px; border-radius: 3px; }
.node .row.chain { background: #eaf2ff; } .node .row.self { outline: 2px solid #2d5fa8; }
.node .row.hit { background: #fff1a8; }
.node .kids { margin-left: 1.4em; border-left: 1px dotted #c5ccd3; padding-left: 4px; }
.toggle { width: 1.3em; border: 0; background: none; cursor: pointer; padding: 0; font-size: 1em; color: #2d5fa8; }
.toggle.leaf { visibility: hidden; }
.pid { font-weight: 600; } .life { color: #5a6470; font-size: 0.85em; } .user { color: #3d6b3d; font-size: 0.85em; }
.more { color: #5a6470; font-style: italic; }
footer { margin-top: 30px; font-size: 12px; color: #6b7480; }
`;
