import { open } from 'node:fs/promises';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { gzipContentHead } from '../../src/sources/gzip-head.js';
import { repoRoot } from '../support/truth.js';

const work = mkdtempSync(join(tmpdir(), 'proc-tree-gzip-head-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const log = readFileSync(join(repoRoot, 'samples', 'auditd', 'busy-machine-rotation', 'logs', 'audit.log.2'));

async function headOf(bytes: Buffer, want: number): Promise<Buffer> {
  const path = join(work, `f${bytes.length}-${want}.gz`);
  writeFileSync(path, bytes);
  const handle = await open(path, 'r');
  try {
    return await gzipContentHead(handle, bytes.length, want);
  } finally {
    await handle.close();
  }
}

describe('gzipContentHead', () => {
  it('returns the first bytes of the content of a compressed real log, as the plain log had them', async () => {
    expect(await headOf(gzipSync(log), 4096)).toEqual(log.subarray(0, 4096));
  });

  it('decodes the head of a .gz cut short in the middle (damage after the head)', async () => {
    const gz = gzipSync(log);
    expect(await headOf(gz.subarray(0, Math.floor(gz.length / 2)), 4096)).toEqual(log.subarray(0, 4096));
  });

  it('returns what decodes, or nothing, for a file that is not gzip data past its magic', async () => {
    expect((await headOf(Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from('not really gzip')]), 4096)).length).toBe(0);
  });

  it('returns the head of a gzip bomb (its 64 KiB prefix inflates to 64 MiB), decoding past the head', async () => {
    const bomb = gzipSync(Buffer.concat([log.subarray(0, 1000), Buffer.alloc(80 << 20)]), { level: 9 });
    const head = await headOf(bomb, 4096);
    expect(head).toEqual(Buffer.concat([log.subarray(0, 1000), Buffer.alloc(3096)]));
  });
});
