import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import type { CaptureMeta } from '../../adapters/proc-connector/capture-files.js';
import { readProcConnectorCapture } from '../../adapters/proc-connector/read-capture.js';
import type { ProcEvent } from '../../src/events/proc-event.js';

function io() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  return { io: { stdout, stderr, stdin: new PassThrough() }, out: () => out, err: () => err };
}

describe('proc-tree capture', () => {
  it('refuses to run without -o, with a usage error', async () => {
    const t = io();
    expect(await runCli(['capture'], t.io)).toBe(2);
    expect(t.err()).toMatch(/-o FILE is required/);
  });

  it('rejects a duration that is not a positive number', async () => {
    const t = io();
    expect(await runCli(['capture', '-o', '/tmp/x.cap', '--duration', 'soon'], t.io)).toBe(2);
    expect(t.err()).toMatch(/--duration/);
  });

  it('records a real process for --duration, closes the meta file and replays it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pc-capture-'));
    const file = join(dir, 'run.cap');
    const t = io();
    const running = runCli(['capture', '-o', file, '--duration', '1.5'], t.io);
    await new Promise((r) => setTimeout(r, 500));
    const child = spawn('/bin/sh', ['-c', 'sleep 0.2; exit 7']);
    await once(child, 'exit');
    expect(await running).toBe(0);
    expect(t.err()).toMatch(/captured \d+ datagrams/);

    const meta = JSON.parse(readFileSync(`${file}.meta.json`, 'utf8')) as CaptureMeta;
    expect(meta.complete).toBe(true);
    expect(meta.bytes).toBe(readFileSync(file).length);
    expect(existsSync(`${file}.snapshot.json`)).toBe(true);

    const events: ProcEvent[] = [];
    await readProcConnectorCapture(file, { onEvent: (e) => events.push(e), onWarning: () => {} });
    expect(events.find((e) => e.kind === 'fork' && e.childPid === child.pid)).toMatchObject({ parentPid: process.pid });
    expect(events.find((e) => e.kind === 'exec' && e.pid === child.pid)).toMatchObject({ image: { argv: ['/bin/sh', '-c', 'sleep 0.2; exit 7'] } });
    expect(events.find((e) => e.kind === 'exit' && e.pid === child.pid)).toMatchObject({ exitCode: 7 });
  });
});
