import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import { CORPUS, REPO_ROOT } from '../adapters/auditd/trace-helpers.js';

const work = mkdtempSync(join(tmpdir(), 'proc-tree-events-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function run(args: string[], stdin: Buffer = Buffer.alloc(0)) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const code = await runCli(['events', ...args], { stdout, stderr, stdin: Readable.from([stdin]) });
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

const TRACE = resolve(CORPUS, 'laurel/shell-proc-trace.txt');

/** `proc-tree events --json --follow LOG` running: its output so far, and a SIGINT stop that gives its exit code. */
function followEvents(log: string): { stdout: () => string; stderr: () => string; stop: () => Promise<number | null> } {
  const child = spawn(process.execPath, [resolve(REPO_ROOT, 'dist/src/cli/main.js'), 'events', '--json', '--follow', log]);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    stop: () => {
      child.kill('SIGINT');
      return exited;
    },
  };
}

describe('proc-tree events', () => {
  it('prints NDJSON with exact decimal timestampNs and an ISO time, and a summary on stderr', async () => {
    const { code, stdout, stderr } = await run(['--json', TRACE]);
    expect(code).toBe(0);
    const events = stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events.map((e) => e.kind)).toEqual(['fork', 'exec', 'fork', 'fork', 'fork', 'exec', 'fork', 'exec', 'exec']);
    expect(events[0]).toMatchObject({ time: '2023-04-27T15:24:05.526000000Z', timestampNs: '1682609045526000000', parentPid: 71432, childPid: 71505 });
    expect(events[0].evidence).toMatchObject({ file: TRACE, line: expect.any(Number), id: '1682609045.526:29237' });
    expect(stderr).toMatch(/75 lines, .* 9 process events \(fork 5, exec 4\)/);
  });

  it('prints one readable line per event by default', async () => {
    const { stdout } = await run([TRACE]);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(9);
    expect(lines[1]).toMatch(/^2023-04-27T15:24:05\.526000000Z exec pid=71505 ppid=71432 exe=\/usr\/bin\/dash argv=\["\/bin\/sh",.*\] uid=1000 \[.*shell-proc-trace\.txt:\d+ 1682609045\.526:29238\]$/);
  });

  it('reads several inputs, gzip included, and applies --host to records without node=', async () => {
    const gz = join(work, 'normal.log.gz');
    writeFileSync(gz, gzipSync(readFileSync(resolve(CORPUS, 'go-libaudit/normal.log'))));
    const { stdout } = await run(['--json', '--host', 'web1', gz, resolve(CORPUS, 'laurel/record-execve.txt')]);
    const events = stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events.filter((e) => e.evidence.file === gz).every((e) => e.host === 'web1')).toBe(true);
    expect(events.at(-1)).toMatchObject({ kind: 'exec', host: 'work' });
  });

  it('counts damaged lines by reason in the summary and still prints the rest', async () => {
    const damaged = join(work, 'damaged.log');
    const text = readFileSync(TRACE, 'latin1');
    writeFileSync(damaged, Buffer.from(`garbage\u0000\u00ff line\n${text}type=UNKNOWN[1420] msg=audit(1.2:3): x\n`, 'latin1'));
    const { code, stdout, stderr } = await run([damaged]);
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toHaveLength(9);
    expect(stderr).toMatch(/warning: malformed-line at .*damaged\.log:1 \(byte 0\)/);
    expect(stderr).toMatch(/skipped: malformed-line 1, unknown-record-type 1/);
  });

  it('rejects a missing file and a non-audit file with one line and a non-zero exit', async () => {
    const missing = await run([join(work, 'missing.log')]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/^proc-tree events: cannot open .*missing\.log: no such file or directory\n$/);
    const notAudit = await run([resolve(CORPUS, 'go-libaudit/NOTICE.txt')]);
    expect(notAudit.code).not.toBe(0);
    expect(notAudit.stderr.trim().split('\n')).toHaveLength(1);
    expect(notAudit.stderr).toMatch(/does not look like an auditd log/);
    const connector = resolve(REPO_ROOT, 'samples/proc-connector/double-fork-daemon.cap');
    const capture = await run([connector]);
    expect(capture.code).not.toBe(0);
    expect(capture.stderr).toMatch(/is a proc-connector capture, not an auditd log/);
  });

  it('rejects bad usage with exit code 2', async () => {
    expect((await run([])).code).toBe(2);
    expect((await run(['--format', 'xml', TRACE])).code).toBe(2);
  });

  it('reads stdin as - through the real CLI process', () => {
    const main = resolve(REPO_ROOT, 'dist/src/cli/main.js');
    const result = spawnSync(process.execPath, [main, 'events', '--json', '-'], { input: readFileSync(TRACE), encoding: 'utf8' });
    expect(result.status).toBe(0);
    const events = result.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events).toHaveLength(9);
    expect(events[0].evidence.file).toBe('-');
    const missing = spawnSync(process.execPath, [main, 'events', join(work, 'nope')], { encoding: 'utf8' });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^proc-tree events: cannot open/);
  });

  it('reads a directory of real rotated logs oldest first', async () => {
    const dir = resolve(REPO_ROOT, 'samples/auditd/rotation/logs');
    const { code, stdout } = await run(['--json', dir]);
    expect(code).toBe(0);
    const files = stdout.trim().split('\n').map((l) => JSON.parse(l).evidence.file as string);
    const order = [...new Set(files)].map((f) => f.slice(dir.length + 1));
    expect(order).toEqual(['audit.log.2', 'audit.log.1', 'audit.log']);
    const times = stdout.trim().split('\n').map((l) => BigInt(JSON.parse(l).timestampNs));
    // Oldest first means time goes forward across the file boundaries too.
    expect(times[0]! <= times.at(-1)!).toBe(true);
  });

  it('--follow prints events of lines appended later, without waiting for more input, and stops on SIGINT', async () => {
    const log = join(work, 'follow.log');
    const lines = readFileSync(TRACE, 'latin1').split('\n').filter((l) => l.startsWith('type='));
    writeFileSync(log, lines.slice(0, 2).join('\n') + '\n');
    const following = followEvents(log);
    appendFileSync(log, lines.slice(2).join('\n') + '\n');
    // Events come out while the command is still following (idle flush after ~1 s).
    for (let i = 0; i < 100 && following.stdout().trim().split('\n').length < 9; i++) await sleep(100);
    expect(following.stdout().trim().split('\n')).toHaveLength(9);
    expect(await following.stop()).toBe(0);
    expect(following.stderr()).toMatch(/9 process events/);
  });

  it('--follow holds an exec whose log went quiet between its EXECVE records, and prints it whole when the rest comes', async () => {
    // Real capture: an exec whose argv auditd split over three EXECVE records.
    const slice = resolve(REPO_ROOT, 'samples', 'auditd-slices', 'real-enriched-long-argv', 'audit.log');
    const all = readFileSync(slice, 'latin1').split(/(?<=\n)/);
    const idOf = (l: string): string | undefined => /audit\(([\d.]+:\d+)\)/.exec(l)?.[1];
    const cut = all.findIndex((l, i) => i > 0 && l.startsWith('type=EXECVE') && / a\d+_len=/.test(l) && all[i + 1]?.startsWith('type=EXECVE') && idOf(all[i + 1]!) === idOf(l)) + 1;
    expect(cut).toBeGreaterThan(1);
    const id = idOf(all[cut - 1]!)!;
    const whole = spawnSync(process.execPath, [resolve(REPO_ROOT, 'dist/src/cli/main.js'), 'events', '--json', slice], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const want = whole.stdout.trim().split('\n').map((l) => JSON.parse(l)).find((e) => e.kind === 'exec' && e.evidence.id === id);
    expect(want.image.argv.join(' ').length).toBeGreaterThan(4000);

    const log = join(work, 'quiet-mid-exec.log');
    writeFileSync(log, all.slice(0, cut).join(''), 'latin1');
    const following = followEvents(log);
    await sleep(2500); // quiet for longer than the 1 s idle flush
    appendFileSync(log, all.slice(cut, cut + 40).join(''), 'latin1');
    const printed = () => following.stdout().trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l)).filter((e) => e.kind === 'exec' && e.evidence.id === id);
    for (let i = 0; i < 50 && printed().length === 0; i++) await sleep(100);
    expect(await following.stop()).toBe(0);
    expect(printed()).toHaveLength(1);
    expect(printed()[0].image).toEqual(want.image);
    expect(following.stderr()).not.toMatch(/late-record/);
  });
});
