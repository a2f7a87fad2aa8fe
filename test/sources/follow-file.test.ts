import { appendFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { followFile } from '../../src/sources/follow-file.js';
import { createLineSplitter } from '../../src/sources/line-splitter.js';
import { CORPUS } from '../adapters/auditd/trace-helpers.js';

const work = mkdtempSync(join(tmpdir(), 'proc-tree-follow-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const lines = readFileSync(resolve(CORPUS, 'laurel/shell-proc-trace.txt'), 'latin1')
  .split('\n')
  .filter((l) => l.startsWith('type='));

describe('followFile', () => {
  it('reads a growing log across a rename rotation and a truncation, each line once, until aborted', async () => {
    const path = join(work, 'audit.log');
    writeFileSync(path, lines.slice(0, 5).map((l) => l + '\n').join(''));
    const controller = new AbortController();
    const seen: string[] = [];
    const generations: { inode: number; startOffset: number }[] = [];
    const reader = (async () => {
      for await (const input of followFile(path, { signal: controller.signal, pollMs: 20 })) {
        generations.push({ inode: input.identity!.inode, startOffset: input.startOffset });
        const splitter = createLineSplitter({ file: input.name, onLine: (text) => seen.push(text), onSkip: () => undefined });
        for await (const chunk of input.chunks) splitter.push(chunk);
        if (!controller.signal.aborted) splitter.end();
      }
    })();
    const waitFor = async (count: number) => {
      for (let i = 0; i < 250 && seen.length < count; i++) await sleep(20);
      expect(seen.length).toBe(count);
    };
    await waitFor(5);
    appendFileSync(path, lines.slice(5, 10).map((l) => l + '\n').join(''));
    await waitFor(10);
    // auditd's rotation: lines written just before the rename still belong to the old file.
    appendFileSync(path, lines[10] + '\n');
    renameSync(path, `${path}.1`);
    writeFileSync(path, lines.slice(11, 15).map((l) => l + '\n').join(''));
    await waitFor(15);
    // Truncated in place (copytruncate): start again at 0.
    writeFileSync(path, lines.slice(15, 17).map((l) => l + '\n').join(''));
    await waitFor(17);
    controller.abort();
    await reader;
    expect(seen).toEqual(lines.slice(0, 17));
    expect(generations.length).toBe(3);
    expect(generations[0]!.inode).not.toBe(generations[1]!.inode);
    expect(generations[2]).toMatchObject({ inode: generations[1]!.inode, startOffset: 0 });
  });

  it('waits for a log that does not exist yet and resumes at a byte offset', async () => {
    const path = join(work, 'later.log');
    const controller = new AbortController();
    const seen: string[] = [];
    const first = lines[0]! + '\n';
    const reader = (async () => {
      for await (const input of followFile(path, { signal: controller.signal, pollMs: 20, startOffset: first.length })) {
        const splitter = createLineSplitter({ file: input.name, startOffset: input.startOffset, onLine: (text) => seen.push(text), onSkip: () => undefined });
        for await (const chunk of input.chunks) splitter.push(chunk);
      }
    })();
    await sleep(60);
    writeFileSync(path, first + lines[1] + '\n');
    for (let i = 0; i < 250 && seen.length < 1; i++) await sleep(20);
    controller.abort();
    await reader;
    expect(seen).toEqual([lines[1]]);
  });
});
