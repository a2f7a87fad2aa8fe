import { afterAll, beforeAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * Task names chosen to break naive stat parsers: spaces, ')' and text that looks like stat
 * fields. Each chain appends its own 4-hex tag so test files running in parallel can tell
 * their chains apart (13 and 11 bytes: under the kernel's 15-byte limit).
 */
export const OUTER_COMM_PREFIX = ') R 1 2 (';
export const INNER_COMM_PREFIX = 'a b) c ';

/**
 * A real process chain, started for a test:
 *
 *     node (this test) -> bash  comm ') R 1 2 (TAG'   (outer)
 *                           -> bash  comm 'a b) c TAG'  (inner)
 *                                -> sleep 300       (sleepA)
 *                                -> sleep 301       (sleepB)
 *
 * Each bash renames itself through /proc/self/comm (only a process's own threads may
 * write it). The whole chain is its own process group so `stop` can end exactly it.
 */
export interface LiveChain {
  outerComm: string;
  innerComm: string;
  outer: number;
  inner: number;
  sleepA: number;
  sleepB: number;
  /** Kills the chain's process group and waits for the outer bash to be reaped. */
  stop(): Promise<void>;
}

export async function startLiveChain(): Promise<LiveChain> {
  const dir = mkdtempSync(join(tmpdir(), 'proc-tree-chain-'));
  const tag = randomBytes(2).toString('hex');
  const outerComm = OUTER_COMM_PREFIX + tag;
  const innerComm = INNER_COMM_PREFIX + tag;
  const inner = join(dir, 'inner.sh');
  const outer = join(dir, 'outer.sh');
  writeFileSync(inner, `printf '%s' '${innerComm}' > /proc/$$/comm\nsleep 300 &\na=$!\nsleep 301 &\nb=$!\necho "$$ $a $b"\nwait\n`);
  writeFileSync(outer, `printf '%s' '${outerComm}' > /proc/$$/comm\nbash ${inner} &\nwait\n`);
  const child: ChildProcess = spawn('bash', [outer], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (text) => resolve(text));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`chain exited early with ${code}`)));
  });
  const [innerPid, sleepA, sleepB] = line.split(' ').map(Number) as [number, number, number];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // `sleep 300 &` forks a subshell that execs sleep a moment later: wait for the exec.
  await waitForComm(sleepA, 'sleep');
  await waitForComm(sleepB, 'sleep');
  return {
    outerComm,
    innerComm,
    outer: child.pid!,
    inner: innerPid,
    sleepA,
    sleepB,
    async stop() {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Spawns `sleep SECONDS` and resolves once it runs; returns its pid and a stopper. */
export async function startSleep(seconds = 300): Promise<{ pid: number; stop(): Promise<void> }> {
  const child = spawn('sleep', [String(seconds)], { stdio: 'ignore' });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', reject);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    pid: child.pid!,
    async stop() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Polls /proc/PID/comm until it reads `comm` (a pending exec), for at most 10 s. */
export async function waitForComm(pid: number, comm: string): Promise<void> {
  for (let waited = 0; waited < 10_000; waited += 5) {
    if (readFileSync(`/proc/${pid}/comm`, 'utf8') === `${comm}\n`) return;
    await sleep(5);
  }
  throw new Error(`pid ${pid} never became ${comm}`);
}

/**
 * Starts a live chain before the file's tests and stops it after them (vitest hooks), for
 * test files that share one chain. The returned object reads through to the running chain,
 * so tests use `chain.outer` etc. as usual; `afterStart` runs once the chain is up (e.g. a
 * snapshot of the tree that must include it).
 */
export function useLiveChain(afterStart?: (chain: LiveChain) => void): Omit<LiveChain, 'stop'> {
  let running: LiveChain | undefined;
  beforeAll(async () => {
    running = await startLiveChain();
    afterStart?.(running);
  });
  afterAll(async () => {
    await running?.stop();
  });
  const current = (): LiveChain => {
    if (!running) throw new Error('the live chain is only there inside tests (it starts in beforeAll)');
    return running;
  };
  return {
    get outerComm() { return current().outerComm; },
    get innerComm() { return current().innerComm; },
    get outer() { return current().outer; },
    get inner() { return current().inner; },
    get sleepA() { return current().sleepA; },
    get sleepB() { return current().sleepB; },
  };
}
