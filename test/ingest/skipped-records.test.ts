import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourcePosition } from '../../src/events/event-sink.js';
import { POSITIONS_PER_REASON } from '../../src/ingest/skipped-records.js';
import { runCli } from '../cli/cli-runner.js';
import { repoRoot } from '../support/truth.js';

/** A real capture of three rotated files: damage is injected into copies of it. */
const ROTATION = join(repoRoot, 'samples', 'auditd', 'rotation', 'logs');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'proc-tree-skipped-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** A copy of the rotation capture; `damage` gets each file's lines and returns the 1-based lines it broke. */
function damagedCopy(damage: (file: string, lines: string[]) => number[]): { logs: string; broken: { file: string; line: number }[] } {
  const logs = join(dir, `logs-${++n}`);
  cpSync(ROTATION, logs, { recursive: true });
  const broken: { file: string; line: number }[] = [];
  for (const name of ['audit.log.2', 'audit.log.1', 'audit.log']) {
    const path = join(logs, name);
    const lines = readFileSync(path, 'utf8').split('\n');
    for (const line of damage(name, lines)) broken.push({ file: path, line });
    writeFileSync(path, lines.join('\n'));
  }
  return { logs, broken };
}

/** Replaces the PROCTITLE lines at these 0-based indexes with a line that is no audit record. */
function breakProctitles(lines: string[], pick: (nth: number) => boolean): number[] {
  const broken: number[] = [];
  let nth = 0;
  lines.forEach((l, i) => {
    if (!l.startsWith('type=PROCTITLE ')) return;
    if (pick(nth++)) {
      lines[i] = 'this line lost its header: ' + l.slice(l.indexOf('proctitle='));
      broken.push(i + 1);
    }
  });
  return broken;
}

async function ingestJson(logs: string): Promise<{ code: number; stderr: string; summary: { skipped: Record<string, number>; skippedAt?: Record<string, SourcePosition[]> } }> {
  const r = await runCli(['ingest', '--db', join(dir, `h-${++n}.db`), '--json', logs]);
  return { code: r.code, stderr: r.stderr, summary: JSON.parse(r.stdout) };
}

describe('ingest summary: damaged records counted with their position', () => {
  it('names the file and line of each damaged line of a rotated capture', async () => {
    const clean = await ingestJson(ROTATION);
    expect(clean.summary.skipped['malformed-line'] ?? 0).toBe(0);

    // One damaged line in the oldest file and one in the newest: positions must name the right file.
    const { logs, broken } = damagedCopy((name, lines) => (name === 'audit.log.1' ? [] : breakProctitles(lines, (k) => k === 2)));
    expect(broken).toHaveLength(2);
    const { code, stderr, summary } = await ingestJson(logs);
    expect(code).toBe(0);
    expect(summary.skipped['malformed-line']).toBe(broken.length);
    expect(summary.skippedAt!['malformed-line']!.map((p) => ({ file: p.file, line: p.line }))).toEqual(broken);
    const [first, second] = broken;
    expect(stderr).toContain(`malformed-line 2 (at ${first!.file}:${first!.line}, ${second!.file}:${second!.line})`);
    expect(stderr).toMatch(/^skipped records: \d+: /m);
  });

  it('keeps the first few positions per reason and says there were more', async () => {
    const { logs, broken } = damagedCopy((name, lines) => (name === 'audit.log' ? breakProctitles(lines, (k) => k % 2 === 0) : []));
    expect(broken.length).toBeGreaterThan(POSITIONS_PER_REASON);
    const { stderr, summary } = await ingestJson(logs);
    expect(summary.skipped['malformed-line']).toBe(broken.length);
    const kept = broken.slice(0, POSITIONS_PER_REASON);
    expect(summary.skippedAt!['malformed-line']!.map((p) => p.line)).toEqual(kept.map((b) => b.line));
    // The file once, then the lines of the same file.
    expect(stderr).toContain(`malformed-line ${broken.length} (first at ${kept[0]!.file}:${kept.map((b) => b.line).join(', ')}, ...)`);
  });

  it('says none for an undamaged capture', async () => {
    const { stderr } = await ingestJson(ROTATION);
    expect(stderr).toMatch(/^skipped records: none$/m);
  });
});
