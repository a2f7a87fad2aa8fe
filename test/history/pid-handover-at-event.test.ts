import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ancestryAt } from '../../src/history/ancestry-at.js';
import type { HistoryStore } from '../../src/history/history-store.js';
import { openHistoryStore } from '../../src/history/open-history-store.js';
import { reportData, type ReportTreeNode } from '../../src/history/report-data.js';
import { timeline } from '../../src/history/timeline.js';
import { treeAt, type TreeNode } from '../../src/history/tree-at.js';
import { descendants } from '../../src/history/descendants.js';
import { findProcesses } from '../../src/history/find-processes.js';
import { runIngest } from '../../src/ingest/run-ingest.js';
import { auditEventSerial, parseTimeNs } from '../../src/time/parse-time.js';
import { cliInProcess } from '../cli/cli-in-process.js';
import { listAuditdCaptures } from '../support/truth.js';

/**
 * A pid that changes hands within one millisecond: its holder's exit_group record (serial E)
 * and the clone that hands the pid out again (serial C > E) share the millisecond stamp.
 * Asked at an event id of that millisecond, every query must pick the holder the serial
 * says: the old one up to E, the new one from C on, and no "overlap" (both exits are seen).
 * The handovers are read from the real captures' logs, not written down here.
 */
const RECORD = /^(?:node=\S+ )?type=SYSCALL msg=audit\((\d+\.\d{3}):(\d+)\):.* syscall=(\d+) (?:success=(\w+) exit=(-?\d+) )?.* pid=(\d+) /;
const EXIT_SYSCALLS = new Set([60, 231]);
const FORK_SYSCALLS = new Set([56, 57, 58, 435]);

interface Handover {
  pid: number;
  ms: string;
  exitSerial: number;
  forkSerial: number;
  /** The process whose clone handed the pid out again. */
  forker: number;
  /** Serials of every SYSCALL event of that millisecond. */
  serials: number[];
}

function handovers(files: string[]): Handover[] {
  const out: Handover[] = [];
  for (const file of files) {
    const byMs = new Map<string, { serial: number; syscall: number; exit?: number; pid: number }[]>();
    for (const line of readFileSync(file, 'latin1').split('\n')) {
      const m = RECORD.exec(line);
      if (!m) continue;
      const list = byMs.get(m[1]!) ?? [];
      list.push({ serial: Number(m[2]), syscall: Number(m[3]), ...(m[4] === 'yes' ? { exit: Number(m[5]) } : {}), pid: Number(m[6]) });
      byMs.set(m[1]!, list);
    }
    for (const [ms, events] of byMs) {
      for (const exit of events.filter((e) => EXIT_SYSCALLS.has(e.syscall))) {
        const fork = events.find((e) => FORK_SYSCALLS.has(e.syscall) && e.exit === exit.pid && e.serial > exit.serial);
        if (fork !== undefined) out.push({ pid: exit.pid, ms, exitSerial: exit.serial, forkSerial: fork.serial, forker: fork.pid, serials: events.map((e) => e.serial).sort((a, b) => a - b) });
      }
    }
  }
  return out;
}

function treeNodes(node: TreeNode): TreeNode[] {
  return [node, ...node.children.flatMap(treeNodes)];
}

function findNode(nodes: ReportTreeNode[], id: number): ReportTreeNode | undefined {
  for (const n of nodes) {
    if (n.instanceId === id) return n;
    const found = findNode(n.children, id);
    if (found !== undefined) return found;
  }
  return undefined;
}

function hasOtherHolder(node: ReportTreeNode, pid: number, id: number): boolean {
  return (node.pid === pid && node.instanceId !== id) || node.children.some((c) => hasOtherHolder(c, pid, id));
}

const dir = mkdtempSync(join(tmpdir(), 'proc-tree-handover-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const captures = listAuditdCaptures()
  .map((capture) => ({ capture, handovers: handovers(capture.logFiles) }))
  .filter((c) => c.handovers.length > 0);

describe('a pid handed over within one millisecond, asked at an event id', () => {
  it('the captures hold such handovers (pid-reuse among them)', () => {
    expect(captures.map((c) => c.capture.meta.name)).toContain('pid-reuse');
  });

  for (const { capture, handovers: list } of captures) {
    describe(capture.meta.name, () => {
      const db = join(dir, `${capture.meta.name}.db`);
      let store: HistoryStore;
      beforeAll(async () => {
        await runIngest({ db, inputs: [capture.logDir] });
        store = await openHistoryStore(db);
      }, 120_000);
      afterAll(() => store?.close());

      it('timeline stars the holder ancestry picks, the one the serial says, and ancestry notes no overlap', async () => {
        const problems: string[] = [];
        let asked = 0;
        for (const h of list) {
          for (const serial of h.serials.filter((s) => s <= h.exitSerial || s >= h.forkSerial)) {
            const at = `audit(${h.ms}:${serial})`;
            const query = { pid: h.pid, atNs: parseTimeNs(at), atSerial: auditEventSerial(at)! };
            const evidence = serial <= h.exitSerial ? { end: `${h.ms}:${h.exitSerial}` } : { start: `${h.ms}:${h.forkSerial}` };
            const t = await timeline(store, query);
            const starred = t.entries.filter((e) => e.aliveAtQuery).map((e) => e.instance);
            const a = await ancestryAt(store, query);
            asked++;
            const want = starred.length === 1 && (evidence.end !== undefined ? starred[0]!.endEvidence?.id === evidence.end : starred[0]!.startEvidence?.id === evidence.start);
            if (!want) problems.push(`${at} pid ${h.pid}: timeline starred ${starred.map((i) => `${i.startEvidence?.id}..${i.endEvidence?.id}`).join(', ') || 'nothing'}, want ${JSON.stringify(evidence)}`);
            else if (a.chain[0]!.instanceId !== starred[0]!.id) problems.push(`${at} pid ${h.pid}: ancestry picked instance ${a.chain[0]!.instanceId}, timeline ${starred[0]!.id}`);
            const overlap = a.notes.find((n) => n.includes('overlap'));
            if (overlap !== undefined) problems.push(`${at} pid ${h.pid}: ${overlap}`);
          }
        }
        expect(asked).toBeGreaterThan(0);
        expect(problems.slice(0, 10)).toEqual([]);
      });

      it('tree and report at the event id show the same holder, with the image it had then', async () => {
        const problems: string[] = [];
        for (const h of list) {
          for (const serial of h.serials.filter((s) => s <= h.exitSerial || s >= h.forkSerial)) {
            const at = `audit(${h.ms}:${serial})`;
            const query = { pid: h.pid, atNs: parseTimeNs(at), atSerial: auditEventSerial(at)! };
            const a = await ancestryAt(store, query);
            const tree = await treeAt(store, query);
            const root = tree.roots[0]!;
            if (root.instanceId !== a.chain[0]!.instanceId || root.cmd !== a.chain[0]!.cmd) problems.push(`${at}: tree ${root.instanceId} '${root.cmd}', ancestry ${a.chain[0]!.instanceId} '${a.chain[0]!.cmd}'`);
            const report = await reportData(store, query);
            const node = findNode(report.tree.roots, a.chain[0]!.instanceId!);
            if (node === undefined || report.tree.roots.some((r) => hasOtherHolder(r, h.pid, a.chain[0]!.instanceId!))) problems.push(`${at}: report tree lacks instance ${a.chain[0]!.instanceId} or shows another holder of pid ${h.pid}`);
          }
        }
        expect(problems.slice(0, 10)).toEqual([]);
      });

      it('descendants of the forker and find by the holder\'s command at the event id list that holder, not the other', async () => {
        const problems: string[] = [];
        for (const h of list) {
          for (const serial of h.serials.filter((s) => s <= h.exitSerial || s >= h.forkSerial)) {
            const at = `audit(${h.ms}:${serial})`;
            const atNs = parseTimeNs(at);
            const atSerial = auditEventSerial(at)!;
            const self = (await ancestryAt(store, { pid: h.pid, atNs, atSerial })).chain[0]!;
            const d = await descendants(store, { pid: h.forker, atNs, atSerial });
            const holders = treeNodes(d.root).filter((n) => n.pid === h.pid);
            if (holders.length !== 1 || holders[0]!.instanceId !== self.instanceId) problems.push(`${at}: descendants of ${h.forker} show pid ${h.pid} as ${holders.map((n) => n.instanceId).join(', ') || 'nothing'}, ancestry ${self.instanceId}`);
            const cmd = self.exe ?? self.comm;
            if (cmd === undefined) continue;
            const found = (await findProcesses(store, { cmd, atNs, atSerial })).filter((f) => f.pid === h.pid);
            if (found.length !== 1 || found[0]!.instanceId !== self.instanceId) problems.push(`${at}: find --cmd ${cmd} gives pid ${h.pid} as ${found.map((f) => f.instanceId).join(', ') || 'nothing'}, ancestry ${self.instanceId}`);
          }
        }
        expect(problems.slice(0, 10)).toEqual([]);
      });

      it('asked at the millisecond alone, ancestry says the pid changed hands in it and names both serials', async () => {
        const problems: string[] = [];
        for (const h of list) {
          const a = await ancestryAt(store, { pid: h.pid, atNs: parseTimeNs(h.ms) });
          const note = a.notes.find((n) => n.includes('changed hands'));
          if (note === undefined || !note.includes(`serial ${h.exitSerial}`) || !note.includes(`serial ${h.forkSerial}`) || !note.includes(`audit(${h.ms}:${h.exitSerial})`) || !a.uncertain) {
            problems.push(`${h.ms} pid ${h.pid}: ${JSON.stringify(a.notes)}`);
          }
        }
        expect(problems).toEqual([]);
      });
    });
  }

  it('timeline and descendants --at take an audit event id on the command line; --help says so (timeline, descendants, find, tree)', async () => {
    const h = captures.find((c) => c.capture.meta.name === 'pid-reuse')!.handovers[0]!;
    const db = join(dir, 'pid-reuse.db');
    const before = await cliInProcess('timeline', String(h.pid), '--at', `audit(${h.ms}:${h.exitSerial})`, '--db', db, '--json');
    expect(before.err).toBe('');
    const instances = (JSON.parse(before.out) as { atSerial?: number; instances: { aliveAtQuery: boolean; endEvidence?: { id?: string } }[] }).instances;
    expect(instances.filter((i) => i.aliveAtQuery).map((i) => i.endEvidence?.id)).toEqual([`${h.ms}:${h.exitSerial}`]);
    expect(JSON.parse(before.out).atSerial).toBe(h.exitSerial);
    for (const command of ['timeline', 'descendants', 'find', 'tree']) {
      const help = await cliInProcess(command, '--help');
      expect(help.out + help.err, command).toMatch(/audit event id/);
    }
    const d = await cliInProcess('descendants', String(h.forker), '--at', `audit(${h.ms}:${h.exitSerial})`, '--db', db, '--json');
    const kids = (JSON.parse(d.out) as { root: { children: { pid: number; start: string }[] } }).root.children.filter((c) => c.pid === h.pid);
    expect(kids.length).toBe(1);
    expect(kids[0]!.start).not.toContain(`${h.ms.slice(-3)}000000Z`);
  });
});
