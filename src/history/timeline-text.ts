import { printableText } from '../cli/printable-text.js';
import { formatTimeNs } from '../time/format-time.js';
import type { StoredEvidence } from './history-types.js';
import { commandOf } from './image-at.js';
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
  for (const p of e.parents) lines.push(`    ${formatTimeNs(p.sinceNs)}  parent ${p.ppid} (${p.kind})${where(p.evidence)}`);
  for (const im of e.images) lines.push(`    ${formatTimeNs(im.sinceNs)}  ${im.kind} ${printableText(commandOf(im))}${im.exe ? `  exe=${printableText(im.exe)}` : ''}${im.uid !== undefined ? ` uid=${im.uid}` : ''}${where(im.evidence)}`);
  return lines.join('\n');
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
