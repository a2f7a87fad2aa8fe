import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { identifyFile } from '../../src/sources/input-identity.js';
import { openInputs, type OpenedInput } from '../../src/sources/open-inputs.js';
import { CORPUS } from '../adapters/auditd/trace-helpers.js';

const work = mkdtempSync(join(tmpdir(), 'proc-tree-sources-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const A = readFileSync(resolve(CORPUS, 'go-libaudit/normal.log'));
const B = readFileSync(resolve(CORPUS, 'laurel/shell-proc-trace.txt'));
const C = readFileSync(resolve(CORPUS, 'go-libaudit/rollover.log'));

async function readAll(spec: string, options: Parameters<typeof openInputs>[1] = {}): Promise<{ input: OpenedInput; content: Buffer }[]> {
  const out: { input: OpenedInput; content: Buffer }[] = [];
  for await (const input of openInputs(spec, options)) {
    const chunks: Buffer[] = [];
    for await (const chunk of input.chunks) chunks.push(chunk);
    out.push({ input, content: Buffer.concat(chunks) });
  }
  return out;
}

describe('openInputs', () => {
  it('reads a plain file with its identity and a sniffable head', async () => {
    const path = join(work, 'plain.log');
    writeFileSync(path, B);
    const [only] = await readAll(path);
    expect(only!.content.equals(B)).toBe(true);
    expect(only!.input).toMatchObject({ name: path, compression: 'none', startOffset: 0 });
    expect(only!.input.head.equals(B.subarray(0, 4096))).toBe(true);
    expect(only!.input.identity).toMatchObject({ path, size: B.length, headBytes: 4096 });
  });

  it('decompresses gzip by magic bytes, whatever the name', async () => {
    const path = join(work, 'rotated-without-suffix');
    writeFileSync(path, gzipSync(B));
    const [only] = await readAll(path);
    expect(only!.input.compression).toBe('gzip');
    expect(only!.content.equals(B)).toBe(true);
  });

  it('reads every log of a zip archive, rotated ones oldest first', async () => {
    const dir = join(work, 'zipsrc');
    execFileSync('mkdir', ['-p', dir]);
    writeFileSync(join(dir, 'audit.log'), C);
    writeFileSync(join(dir, 'audit.log.1'), B);
    writeFileSync(join(dir, 'audit.log.2'), A);
    const zip = join(work, 'logs.zip');
    execFileSync('zip', ['-q', '-j', zip, join(dir, 'audit.log'), join(dir, 'audit.log.1'), join(dir, 'audit.log.2')]);
    const read = await readAll(zip);
    expect(read.map((r) => r.input.name)).toEqual([`${zip}!/audit.log.2`, `${zip}!/audit.log.1`, `${zip}!/audit.log`]);
    expect(read.map((r) => r.content.length)).toEqual([A.length, B.length, C.length]);
    expect(read[1]!.content.equals(B)).toBe(true);
  });

  it('reads a directory of rotated logs (plain and .gz) oldest first', async () => {
    const dir = join(work, 'rotated');
    execFileSync('mkdir', ['-p', dir]);
    writeFileSync(join(dir, 'audit.log'), C);
    writeFileSync(join(dir, 'audit.log.1'), B);
    writeFileSync(join(dir, 'audit.log.2.gz'), gzipSync(A));
    writeFileSync(join(dir, 'README'), 'not a log');
    const read = await readAll(dir);
    expect(read.map((r) => r.input.name)).toEqual([join(dir, 'audit.log.2.gz'), join(dir, 'audit.log.1'), join(dir, 'audit.log')]);
    expect(Buffer.concat(read.map((r) => r.content)).equals(Buffer.concat([A, B, C]))).toBe(true);
  });

  it('continues a plain file from a byte offset, and a gzip one by skipping decompressed bytes', async () => {
    const path = join(work, 'resume.log');
    writeFileSync(path, B);
    const [plain] = await readAll(path, { startOffset: 1000 });
    expect(plain!.content.equals(B.subarray(1000))).toBe(true);
    expect(plain!.input.startOffset).toBe(1000);
    writeFileSync(`${path}.gz`, gzipSync(B));
    const [gz] = await readAll(`${path}.gz`, { startOffset: 1000 });
    expect(gz!.content.equals(B.subarray(1000))).toBe(true);
  });

  it('reads - from the given stdin stream', async () => {
    const [only] = await readAll('-', { stdin: Readable.from([B.subarray(0, 10), B.subarray(10)]) });
    expect(only!.input.name).toBe('-');
    expect(only!.input.identity).toBeUndefined();
    expect(only!.content.equals(B)).toBe(true);
  });

  it('reads a named pipe once, as a stream, without losing its first bytes', async () => {
    const fifo = join(work, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const writer = import('node:fs/promises').then(async ({ writeFile }) => writeFile(fifo, gzipSync(B)));
    const [only] = await readAll(fifo);
    await writer;
    expect(only!.input.identity).toBeUndefined();
    expect(only!.input.compression).toBe('gzip');
    expect(only!.content.equals(B)).toBe(true);
  });

  it('fails with a one-line user message for a missing input', async () => {
    await expect(readAll(join(work, 'nope.log'))).rejects.toThrow(/cannot open .*nope\.log: no such file or directory/);
    const empty = join(work, 'empty-dir');
    execFileSync('mkdir', ['-p', empty]);
    await expect(readAll(empty)).rejects.toThrow(/no logs in/);
  });

  it('fails clearly on a damaged gzip file', async () => {
    const path = join(work, 'damaged.log.gz');
    const gz = gzipSync(B);
    writeFileSync(path, gz.subarray(0, gz.length - 200));
    await expect(readAll(path)).rejects.toThrow(/cannot read .*damaged\.log\.gz/);
  });
});

describe('identifyFile', () => {
  it('recognises a rotated (renamed) file by inode and head hash, and an appended one by its head', async () => {
    const path = join(work, 'ident.log');
    copyFileSync(resolve(CORPUS, 'laurel/shell-proc-trace.txt'), path);
    const before = await identifyFile(path);
    renameSync(path, `${path}.1`);
    const renamed = await identifyFile(`${path}.1`);
    expect(renamed).toMatchObject({ inode: before.inode, dev: before.dev, headSha256: before.headSha256 });
    writeFileSync(`${path}.1`, Buffer.concat([B, A]));
    const appended = await identifyFile(`${path}.1`);
    expect(appended.headSha256).toBe(before.headSha256);
    expect(appended.size).toBe(B.length + A.length);
    writeFileSync(`${path}.1`, A);
    expect((await identifyFile(`${path}.1`)).headSha256).not.toBe(before.headSha256);
  });
});
