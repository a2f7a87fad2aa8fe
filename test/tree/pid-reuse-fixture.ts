import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { waitForComm } from './live-chain-fixture.js';

/** Never lower pid_max below this: other test workers spawn processes at the same time. */
const LOWERED_PID_MAX = 2000;
const KERNEL_LOCK = '/tmp/proc-tree-kernel.lock';

/**
 * Makes the kernel really reuse a pid, under the shared kernel lock:
 * lowers pid_max to 2000, starts `sleep` A (the "old" process) and reports its pid, waits
 * for `release()`, kills A, then starts `sleep`s until one gets A's pid (the pid counter
 * wraps quickly below 2000), restores pid_max and reports that new process B.
 * pid_max is restored by a trap whatever happens; B is killed by `stop()`.
 */
export async function withReusedPid(
  onOldProcess: (pid: number) => Promise<void> | void,
): Promise<{ pid: number; stop(): void }> {
  const script = `
set -u
old=$(cat /proc/sys/kernel/pid_max)
trap 'echo "$old" > /proc/sys/kernel/pid_max; [ -z "\${keep:-}" ] && kill -9 \${a:-} \${b:-} 2>/dev/null' EXIT
echo ${LOWERED_PID_MAX} > /proc/sys/kernel/pid_max
sleep 300 & a=$!
echo "old $a"
read -r _go
kill -9 "$a"; wait "$a" 2>/dev/null
for i in $(seq 1 8000); do
  sleep 300 & b=$!
  if [ "$b" = "$a" ]; then keep=1; echo "new $b"; exit 0; fi
  kill -9 "$b"; wait "$b" 2>/dev/null
done
echo "none"
`;
  // -o: the sleeps must not inherit the lock's descriptor, or one left behind by a failed
  // run holds the kernel lock for 300 s and every later run times out waiting for it.
  // Its own process group, so that a failed or timed-out run can be stopped whole.
  const child = spawn('flock', ['-o', KERNEL_LOCK, 'bash', '-c', script], { stdio: ['pipe', 'pipe', 'inherit'], detached: true });
  running.add(child);
  child.once('exit', () => running.delete(child));
  try {
    return await reusePid(child, onOldProcess);
  } catch (e) {
    stopGroup(child);
    throw e;
  }
}

const running = new Set<ChildProcess>();

function stopGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGTERM'); // bash's EXIT trap restores pid_max
  } catch {
    // already gone
  }
}

/** For afterAll: a run the test's timeout abandoned is still waiting or forking; stop it. */
export function stopPidReuseScripts(): void {
  for (const child of running) stopGroup(child);
}

async function reusePid(child: ChildProcess, onOldProcess: (pid: number) => Promise<void> | void): Promise<{ pid: number; stop(): void }> {
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const { value, done } = await lines.next();
    if (done) throw new Error('pid reuse script ended early');
    return value as string;
  };
  const [oldTag, oldPid] = (await next()).split(' ');
  if (oldTag !== 'old') throw new Error(`unexpected: ${oldTag}`);
  await waitForComm(Number(oldPid), 'sleep'); // `&` forks first, execs a moment later
  await onOldProcess(Number(oldPid));
  child.stdin!.write('go\n');
  const [newTag, newPid] = (await next()).split(' ');
  await new Promise((resolve) => child.once('exit', resolve));
  if (newTag !== 'new') throw new Error('the kernel did not reuse the pid within 8000 forks');
  await waitForComm(Number(newPid), 'sleep');
  return {
    pid: Number(newPid),
    stop() {
      try {
        process.kill(Number(newPid), 'SIGKILL');
      } catch {
        // already gone
      }
    },
  };
}
