import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runIngest } from '../../src/ingest/run-ingest.js';
import { parseTimeNs } from '../../src/time/parse-time.js';
import { repoRoot } from '../support/truth.js';

const dir = mkdtempSync(join(tmpdir(), 'proc-tree-same-content-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sameContentNote (ingest of a log already ingested under another name)', () => {
  it('names the file the content was first ingested as, and when', async () => {
    const db = join(dir, 'h.db');
    const original = join(dir, 'audit.log');
    const copy = join(dir, 'evidence-copy.log');
    copyFileSync(join(repoRoot, 'samples', 'auditd', 'pid-reuse', 'logs', 'audit.log'), original);
    copyFileSync(original, copy);
    const before = BigInt(Date.now()) * 1_000_000n;
    const first = await runIngest({ db, inputs: [original] });
    expect(first.inputs[0]!.status).toBe('read');

    const again = await runIngest({ db, inputs: [copy] });
    expect(again.inputs[0]!.status).toBe('already-ingested');
    // Its whole content hashed as the original's: the same content, said so.
    const note = /^same content \(sha256 of its (\d+) bytes\) as (.+), ingested (\S+)$/.exec(again.inputs[0]!.note ?? '');
    expect(note).not.toBeNull();
    expect(note![2]).toBe(original);
    expect(Number(note![1])).toBe(statSync(copy).size);
    const when = parseTimeNs(note![3]!);
    expect(when >= before - 1_000_000n && when <= BigInt(Date.now()) * 1_000_000n).toBe(true);

    // Under its own name there is nothing to explain.
    const same = await runIngest({ db, inputs: [original] });
    expect(same.inputs[0]!.status).toBe('already-ingested');
    expect(same.inputs[0]!.note).toBeUndefined();
  });
});
