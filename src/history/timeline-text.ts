import { printableText } from '../cli/printable-text.js';
import { formatTimeNs } from '../time/format-time.js';
import type { StoredEvidence } from './history-types.js';
import { auditSerialOf, commandOf } from './image-at.js';
import type { TimelineEntry } from './timeline.js';

/** Shared by `timeline` and `explain`: one instance's life as text (evidence in brackets) and as JSON. */

const where = (e: StoredEvidence | undefined): string =>
  e === undefined ? '' : `  [${e.file ?? '?'}${e.line !== undefined ? `:${e.line}` : `@${e.offset ?? '?'}`}${e.id ? ` ${e.id}` : ''}]`;

/** `* pid N: started T, exited T code C`, then its parent rows and images, each with its evidence. */
export function timelineEntryText(e: TimelineEntry): string {
  const i = e.instance;
  const lines: string[] = [];
  const start = `${i.startKnown ? 'started' : 'seen since'} ${formatTimeNs(i.startNs)}`;
  const end = i.endNs === undefined ? 'no end recorded' : `${i.endCertainty === 'inferred' ? `gone by (${i.endReason ?? 'inferred'})` : 'exited'} ${formatTimeNs(i.endNs)}${i.exitCode !== undefined ? ` code ${i.exitCode}` : ''}${i.exitSignal !== undefined ? ` signal ${i.exitSignal}` : ''}`;
  lines.push(`${e.aliveAtQuery ? '*' : ' '} pid ${i.pid}: ${start}, ${end}${i.creatorPid !== undefined ? `, forked by ${i.creatorPid}` : ''}${where(i.startEvidence)}`);
  const rows: TimedLine[] = [];
  const i0 = e.instance;
  // The first parent row at the start is the start (fork): first, whatever its serial. The
  // clone record is written when the parent's clone returns, often after the child's own
  // first records (clone-newpid, pid 3202: exec serial 126417, its fork's clone 126426).
  e.parents.forEach((p, i) => rows.push({ sinceNs: p.sinceNs, serial: i === 0 && p.sinceNs === i0.startNs ? -1 : auditSerialOf(p.evidence?.id), rank: 0, i, text: `parent ${p.ppid} (${p.kind})${where(p.evidence)}` }));
  e.images.forEach((im, i) =>
    rows.push({ sinceNs: im.sinceNs, serial: auditSerialOf(im.evidence?.id), rank: 1, i, text: `${im.kind} ${printableText(commandOf(im))}${im.exe ? `  exe=${printableText(im.exe)}` : ''}${im.uid !== undefined ? ` uid=${im.uid}` : ''}${where(im.evidence)}` }),
  );
  for (const r of rows.sort(byTimeThenSerial)) lines.push(`    ${formatTimeNs(r.sinceNs)}  ${r.text}`);
  return lines.join('\n');
}

/** A parent row or an image as one line of the life, to be read in time order. */
interface TimedLine {
  sinceNs: bigint;
  /** Audit serial of its record: orders the rows of one millisecond. */
  serial: number | undefined;
  /** At one time and serial, a parent row before an image (the fork comes before its exec). */
  rank: number;
  /** Stored order within its kind. */
  i: number;
  text: string;
}

/**
 * Time, then audit serial (both known), then parent before image, then stored order: a life
 * reads in the order it happened (killed-by-signal, pid 846: its exec at 04.632 before the
 * reparent at 05.860, not every parent row first).
 */
function byTimeThenSerial(a: TimedLine, b: TimedLine): number {
  if (a.sinceNs !== b.sinceNs) return a.sinceNs < b.sinceNs ? -1 : 1;
  if (a.serial !== undefined && b.serial !== undefined && a.serial !== b.serial) return a.serial - b.serial;
  return a.rank - b.rank || a.i - b.i;
}

const t = (ns: bigint | undefined): string | null => (ns === undefined ? null : formatTimeNs(ns));

/** The JSON of one instance as `timeline --json` lists it: every key its usage names, null when unknown. */
export function timelineEntryJson(e: TimelineEntry): Record<string, unknown> {
  return {
    ...e.instance,
    start: t(e.instance.startNs),
    end: t(e.instance.endNs),
    endNs: e.instance.endNs ?? null,
    endCertainty: e.instance.endCertainty ?? null,
    creatorPid: e.instance.creatorPid ?? null,
    aliveAtQuery: e.aliveAtQuery,
    parents: e.parents.map((p) => ({ ...p, since: t(p.sinceNs) })),
    images: e.images.map((im) => ({ ...im, exe: im.exe ?? null, argv: im.argv ?? null, comm: im.comm ?? null, uid: im.uid ?? null, user: im.user ?? null, since: t(im.sinceNs) })),
  };
}
