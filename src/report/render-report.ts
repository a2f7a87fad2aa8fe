import { createHash } from 'node:crypto';
import type { ReportChainLink, ReportData, ReportFact, ReportTreeNode } from '../history/report-data.js';
import type { StoredEvidence } from '../history/history-types.js';
import { FROM_BOOT, initStartFromBoot } from '../history/history-span.js';
import { formatTimeNs } from '../time/format-time.js';
import { escapeHtml, jsonForScriptElement } from './html-escape.js';
import { linkEntityId } from '../enrich/ancestry-fields.js';
import type { ReportEvent } from './report-event.js';
import { REPORT_SCRIPT } from './report-script.js';
import { REPORT_CSS } from './report-style.js';

/** What the header says besides the data: where it came from and who made it. */
export interface ReportContext {
  /** The database as given (path or URL without password). */
  db: string;
  version: string;
  /** How the user asked, e.g. `pid 4516 --at 1795589311.445` or `--event 1795589311.436:28440`. */
  asked: string;
  /** The audit event the report was asked for (`report --event`): shown first, with its evidence. */
  event?: ReportEvent;
}

/**
 * The report as one self-contained HTML page: CSS and script inline, data embedded as
 * JSON, nothing fetched at view time. A Content-Security-Policy with the hashes of our own
 * style and script forbids every other script and every network request, so even a string
 * that escaped escaping could not run or call home.
 */
export function renderReport(data: ReportData, ctx: ReportContext): string {
  const at = formatTimeNs(data.atNs);
  const logEnd = noEndText(data.historyEndNs);
  const tree = flattenTree(data.tree.roots, data.pid, logEnd);
  const csp = `default-src 'none'; style-src '${sha256(REPORT_CSS)}'; script-src '${sha256(REPORT_SCRIPT)}'; img-src 'none'; base-uri 'none'; form-action 'none'`;
  // As every text output names it (resolve-host.ts hostName): what --host takes.
  const hostName = data.host === '' ? "'' (logs without node=)" : data.host;
  const heading = ctx.event !== undefined ? `event ${ctx.event.id}: pid ${data.pid} at ${at}` : `pid ${data.pid} at ${at}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`proc-tree report: ${heading}`)}</title>
<style>${REPORT_CSS}</style></head>
<body>
<header>
<h1>${escapeHtml(heading)}</h1>
<dl id="report-header">
<dt>host</dt><dd id="h-host">${escapeHtml(hostName)}</dd>
<dt>time asked</dt><dd id="h-at">${escapeHtml(at)}${data.atSerial !== undefined ? escapeHtml(` (audit serial ${data.atSerial})`) : ''}</dd>
<dt>asked as</dt><dd>${escapeHtml(ctx.asked)}</dd>
<dt>history</dt><dd id="h-db">${escapeHtml(ctx.db)}</dd>
<dt>made by</dt><dd id="h-version">${escapeHtml(`proc-tree ${ctx.version}`)}</dd>
</dl>
</header>
${ctx.event !== undefined ? eventSection(ctx.event) : ''}<section id="ancestry">
<h2>Ancestry at that time (self first)</h2>
${chainBanner(data)}
${chainTable(data.chain, data.host, logEnd)}
</section>
<section id="tree">
<h2>${escapeHtml(`Processes alive then under pid ${tree.rootPids.join(', ')} (${data.tree.count})`)}</h2>
${data.tree.notes.length > 0 ? `<ul class="notes">${data.tree.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : ''}
<div class="toolbar">
<input id="search" type="search" placeholder="filter: pid, command, executable, user" aria-label="filter the tree">
<span id="search-status"></span>
<button id="expand-all" type="button">open all</button><button id="collapse-all" type="button">close all</button>
<button id="zoom-out" type="button" title="smaller">A&minus;</button><button id="zoom-in" type="button" title="larger">A+</button>
</div>
<div id="tree-view" role="tree"></div>
<p class="ev">Blue: the asked chain. <span class="seen">~</span> seen since (start unknown). <span class="doubt">?</span> its place at that time is uncertain (hover for why). <span class="inferred">inferred</span> its end was concluded, not recorded (the reason follows). Badges: how the parent at that time became known. Grey: the record of its start (file:line audit id).</p>
</section>
<footer>Self-contained: no network is used to view this page. Every fact carries the record it came from.</footer>
<script type="application/json" id="report-data">${jsonForScriptElement({ roots: tree.roots, nodes: tree.nodes })}</script>
<script>${REPORT_SCRIPT}</script>
</body></html>
`;
}

/** The asked event: what it was, when, where its records are (file:line), and the records themselves. */
function eventSection(e: ReportEvent): string {
  const where = `${e.file}${e.line !== undefined ? `:${e.line}` : ''}`;
  const records = e.records.map(
    (r) => `<tr><td class="mono">${escapeHtml(r.type)}</td><td class="cmd">${r.fields.map(([k, v]) => `<span class="field"><b>${escapeHtml(k)}</b>=${escapeHtml(v)}</span>`).join(' ')}</td></tr>`,
  );
  return `<section id="event">
<h2>The event</h2>
<dl id="event-facts">
<dt>audit id</dt><dd id="ev-id">${escapeHtml(e.id)}</dd>
<dt>time</dt><dd id="ev-time">${escapeHtml(formatTimeNs(e.timeNs))}</dd>
<dt>what</dt><dd id="ev-action">${escapeHtml(`${e.action}${e.outcome !== undefined ? ` (${e.outcome})` : ''} [${e.categories.join(', ')}]`)}</dd>
<dt>record types</dt><dd id="ev-types">${escapeHtml([...new Set(e.records.map((r) => r.type))].join(' '))}</dd>
<dt>evidence</dt><dd id="ev-where" class="mono">${escapeHtml(`${where} ${e.id}`)} <span class="ev">${escapeHtml(`(byte ${e.offset})`)}</span></dd>
${e.noAncestry !== undefined ? `<dt>process</dt><dd id="ev-no-process">${escapeHtml(e.noAncestry)}</dd>` : ''}</dl>
${(e.changedSources ?? []).map((w) => `<p class="warning" id="ev-source-changed"><b>${escapeHtml(w)}</b></p>`).join('\n')}
<details class="records"><summary>${e.records.length} record(s), fields decoded</summary>
<table class="chain" id="ev-records"><tbody>${records.join('')}</tbody></table></details>
</section>
`;
}

function sha256(text: string): string {
  return `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;
}

function chainBanner(data: ReportData): string {
  const notes = [...data.notes];
  if (data.uncertain) {
    return `<div class="banner uncertain" id="chain-uncertain"><b>UNCERTAIN</b>: some link rests on weak evidence or events may be missing (reasons on the links and below).${
      notes.length > 0 ? `<ul class="notes">${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : ''
    }</div>`;
  }
  return `<div class="banner certain">Every link is recorded${data.chainComplete ? ', up to the root' : ''}.</div>`;
}

function chainTable(chain: ReportChainLink[], host: string, logEnd: string): string {
  const rows = chain.map((l, i) => {
    const start = initStartFromBoot(l.pid, l.startKnown) ? FROM_BOOT : l.startNs === undefined ? '?' : `${l.startKnown ? '' : '~'}${formatTimeNs(l.startNs)}`;
    const notes = l.notes.filter((n) => !n.startsWith('started before'));
    const cells = [
      `<td class="pid">${l.pid}</td>`,
      `<td>${l.ppid ?? '?'}</td>`,
      `<td>${l.parentKind !== undefined ? `<span class="kind ${escapeHtml(l.parentKind)}">${escapeHtml(l.parentKind)}</span>` : ''}</td>`,
      `<td>${escapeHtml(l.user ?? (l.uid !== undefined ? `uid:${l.uid}` : '?'))}</td>`,
      `<td class="mono${l.startKnown ? '' : ' seen'}">${escapeHtml(start)}</td>`,
      `<td class="mono end">${escapeHtml(endText(l, logEnd))}${l.endInferred === true ? ` ${inferredMark(l.endReason)}` : ''}</td>`,
      `<td class="cmd"><div class="exe">${escapeHtml(l.exe ?? '')}</div><div class="args">${escapeHtml(argsText(l))}</div>${
        notes.length > 0 ? `<ul class="notes">${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : ''
      }${factsList(l.facts)}</td>`,
    ];
    const entity = linkEntityId(host, l);
    return `<tr class="link${i === 0 ? ' self' : ''}${l.notes.length > 0 ? ' uncertain' : ''}" data-pid="${l.pid}"${entity !== undefined ? ` data-entity-id="${escapeHtml(entity)}"` : ''}>${cells.join('')}</tr>`;
  });
  return `<table class="chain" id="chain"><thead><tr><th>pid</th><th>ppid</th><th>parent by</th><th>user</th><th>start</th><th>end</th><th>executable / arguments / evidence</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table>`;
}

function argsText(l: ReportChainLink): string {
  if (l.argv !== undefined && l.argv.length > 0) return l.argv.join(' ');
  return l.cmd || l.comm || '?';
}

/**
 * No end in the history is not "running": the log stopped, and an exit after that was never
 * recorded. Said as `timeline` says it (no end recorded), with where the history ends.
 */
function noEndText(historyEndNs: bigint | undefined): string {
  return historyEndNs === undefined ? 'no exit recorded' : `no exit recorded (history ends at ${formatTimeNs(historyEndNs)})`;
}

function endText(l: ReportChainLink, logEnd: string): string {
  if (l.endNs === undefined) return logEnd;
  const how = l.exitSignal !== undefined ? ` signal ${l.exitSignal}` : l.exitCode !== undefined ? ` code ${l.exitCode}` : '';
  return `${l.endInferred === true ? 'gone by ' : ''}${formatTimeNs(l.endNs)}${how}`;
}

/** The visible mark of an end concluded from evidence rather than read from an exit record. */
function inferredMark(reason: string | undefined): string {
  const why = reason ?? 'no exit record';
  return `<span class="inferred" title="${escapeHtml(`end inferred, not recorded: ${why}`)}">inferred: ${escapeHtml(why)}</span>`;
}

function factsList(facts: ReportFact[]): string {
  if (facts.length === 0) return '';
  const items = facts.map((f) => `<li class="fact ${escapeHtml(f.kind)}"><span class="mono">${escapeHtml(formatTimeNs(f.atNs))}</span> ${escapeHtml(f.text)} <span class="ev">${escapeHtml(evidenceText(f.evidence))}</span></li>`);
  return `<details class="facts"><summary>${facts.length} recorded fact(s)</summary><ul>${items.join('')}</ul></details>`;
}

/** `file:line audit-id`, what an investigator needs to open the raw record. */
export function evidenceText(e: StoredEvidence | undefined): string {
  if (e === undefined) return '';
  const place = e.file !== undefined ? `${e.file}${e.line !== undefined ? `:${e.line}` : ''}` : '';
  return [place, e.id ?? ''].filter((s) => s !== '').join(' ');
}

/** One tree node as the page script reads it (short keys: 5,000 nodes stay small). */
interface PageNode {
  p: number;
  c: string;
  e?: string;
  u?: string;
  sk: boolean;
  /** Lifetime line: start, end (or no exit recorded), exit code. */
  l: string;
  pk?: string;
  n?: string[];
  ch?: true;
  self?: true;
  ev?: string;
  /** The end was inferred: why (`sigkill`, `pid-reused`, ...). */
  ie?: string;
  k: number[];
}

function flattenTree(roots: ReportTreeNode[], pid: number, logEnd: string): { roots: number[]; nodes: PageNode[]; rootPids: number[] } {
  const nodes: PageNode[] = [];
  const add = (n: ReportTreeNode): number => {
    const i = nodes.length;
    const page: PageNode = { p: n.pid, c: n.cmd, sk: n.startKnown, l: lifeText(n, logEnd), k: [] };
    if (n.exe !== undefined) page.e = n.exe;
    const user = n.user ?? (n.uid !== undefined ? `uid:${n.uid}` : undefined);
    if (user !== undefined) page.u = user;
    if (n.parentKind !== undefined && n.parentKind !== 'fork') page.pk = n.parentKind;
    if (n.notes !== undefined) page.n = n.notes;
    if (n.onChain === true) page.ch = true;
    if (n.onChain === true && n.pid === pid) page.self = true;
    if (n.endInferred === true) page.ie = n.endReason ?? 'no exit record';
    const ev = evidenceText(n.startEvidence);
    if (ev !== '') page.ev = ev;
    nodes.push(page);
    for (const c of n.children) page.k.push(add(c));
    return i;
  };
  return { roots: roots.map(add), nodes, rootPids: roots.map((r) => r.pid) };
}

function lifeText(n: ReportTreeNode, logEnd: string): string {
  const start = initStartFromBoot(n.pid, n.startKnown) ? FROM_BOOT : `${n.startKnown ? '' : '~'}${formatTimeNs(n.startNs)}`;
  if (n.endNs === undefined) return `${start} \u2192 ${logEnd}`;
  const how = n.exitSignal !== undefined ? ` signal ${n.exitSignal}` : n.exitCode !== undefined ? ` code ${n.exitCode}` : '';
  return `${start} \u2192 ${n.endInferred === true ? 'gone by ' : ''}${formatTimeNs(n.endNs)}${how}`;
}
