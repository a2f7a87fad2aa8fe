import type { SeededRandom } from './seeded-random.js';

/**
 * The programs simulated processes run. `role` drives what a process does next: shells
 * spawn children, threaded programs create threads (and spawn from them), leaves mostly
 * just exit. Argument shapes are the ones that stress a parser: quoting, spaces (hex),
 * paths, many arguments.
 */
export type ProgramRole = 'shell' | 'leaf' | 'threaded' | 'daemon';

export interface Program {
  exe: string;
  role: ProgramRole;
  /** Interpreter for scripts: PATH item 0 is the script, item 1 the interpreter. */
  interpreter?: string;
  /** Weight among programs a shell picks. */
  weight: number;
  argv(rng: SeededRandom): string[];
}

const FILES = ['/var/log/syslog', '/etc/passwd', 'README.md', 'src/main.c', '/tmp/build.log', 'data 2024.csv', '/home/alice/notes.txt'];
const WORDS = ['error', 'timeout', 'alice', 'GET /index.html', 'pid', '--', 'TODO', 'x'];

function file(rng: SeededRandom): string {
  return rng.pick(FILES);
}

export const PROGRAMS: readonly Program[] = [
  { exe: '/usr/bin/bash', role: 'shell', weight: 6, argv: (r) => (r.chance(0.5) ? ['bash'] : ['bash', '-c', `for i in 1 2 3; do echo $i; done | grep -c ${r.int(9)}`]) },
  { exe: '/usr/bin/dash', role: 'shell', weight: 4, argv: (r) => ['sh', '-c', r.pick(['exec env true', 'make -j2 all', 'ls -la | wc -l', 'cd /tmp && ./configure'])] },
  { exe: '/usr/bin/make', role: 'shell', weight: 2, argv: (r) => ['make', `-j${r.range(1, 8)}`, r.pick(['all', 'install', 'test', 'clean'])] },
  { exe: '/usr/bin/python3.11', role: 'threaded', weight: 3, argv: (r) => ['python3', r.pick(['/usr/bin/unattended-upgrade', 'manage.py', '-m', 'worker.py']), r.pick(['--verbose', 'runserver', 'pip', '-q'])] },
  { exe: '/usr/lib/jvm/java-17/bin/java', role: 'threaded', weight: 1, argv: (r) => ['java', '-Xmx512m', '-jar', `/opt/app/service-${r.int(5)}.jar`] },
  { exe: '/usr/bin/node', role: 'threaded', weight: 1, argv: () => ['node', '/srv/app/server.js'] },
  { exe: '/usr/bin/cat', role: 'leaf', weight: 6, argv: (r) => ['cat', file(r)] },
  { exe: '/usr/bin/grep', role: 'leaf', weight: 6, argv: (r) => ['grep', '-n', r.pick(WORDS), file(r)] },
  { exe: '/usr/bin/ls', role: 'leaf', weight: 5, argv: (r) => ['ls', '--color=auto', '-la', r.pick(['/tmp', '/var/log', '.', 'My Documents'])] },
  { exe: '/usr/bin/sed', role: 'leaf', weight: 3, argv: (r) => ['sed', '-e', `s/${r.pick(WORDS)}/"quoted"/g`, file(r)] },
  { exe: '/usr/bin/wc', role: 'leaf', weight: 3, argv: () => ['wc', '-l'] },
  { exe: '/usr/bin/true', role: 'leaf', weight: 4, argv: () => ['true'] },
  { exe: '/usr/bin/date', role: 'leaf', weight: 3, argv: () => ['date', '+%s'] },
  { exe: '/usr/bin/sleep', role: 'leaf', weight: 2, argv: (r) => ['sleep', String(r.range(1, 30))] },
  { exe: '/usr/bin/env', role: 'leaf', weight: 2, argv: () => ['env', 'LANG=C', 'true'] },
  { exe: '/usr/bin/git', role: 'shell', weight: 2, argv: (r) => ['git', r.pick(['status', 'log', 'fetch', 'rev-parse']), r.pick(['--short', '-n', 'origin', 'HEAD'])] },
  { exe: '/usr/bin/gcc', role: 'shell', weight: 2, argv: (r) => ['gcc', '-O2', '-Wall', '-c', `src/module${r.int(50)}.c`, '-o', `build/module${r.int(50)}.o`] },
  { exe: '/usr/lib/gcc/x86_64-linux-gnu/12/cc1', role: 'leaf', weight: 1, argv: (r) => ['/usr/lib/gcc/x86_64-linux-gnu/12/cc1', '-quiet', `src/module${r.int(50)}.c`, '-O2'] },
  { exe: '/usr/bin/ssh', role: 'leaf', weight: 1, argv: () => ['ssh', '-o', 'BatchMode=yes', 'backup@10.0.0.7', 'uptime'] },
  { exe: '/usr/bin/curl', role: 'leaf', weight: 2, argv: (r) => ['curl', '-s', '-H', 'Accept: application/json', `https://api.example.com/v1/items/${r.int(10000)}`] },
  { exe: '/usr/bin/id', role: 'leaf', weight: 2, argv: () => ['id', '-u'] },
  { exe: '/usr/bin/ps', role: 'leaf', weight: 1, argv: () => ['ps', '-ef'] },
  { exe: '/usr/bin/dash', role: 'shell', weight: 2, interpreter: '/usr/bin/dash', argv: (r) => ['/bin/sh', `/etc/cron.daily/job-${r.int(8)}`] },
  { exe: '/usr/bin/perl', role: 'leaf', weight: 1, argv: () => ['perl', '-e', 'print "hello\\n"'] },
];

/**
 * Long-lived programs that exist before the log starts ("seen since" processes). `parent`
 * is the index of an earlier entry (default: init), so login shells sit under their sshd
 * session processes as on a real host.
 */
export const DAEMONS: readonly { exe: string; argv: string[]; uid: number; role: ProgramRole; parent?: number }[] = [
  { exe: '/usr/sbin/sshd', argv: ['sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups'], uid: 0, role: 'daemon' },
  { exe: '/usr/sbin/cron', argv: ['/usr/sbin/cron', '-f', '-P'], uid: 0, role: 'daemon' },
  { exe: '/usr/lib/postgresql/15/bin/postgres', argv: ['/usr/lib/postgresql/15/bin/postgres', '-D', '/var/lib/postgresql/15/main'], uid: 999, role: 'threaded' },
  { exe: '/usr/sbin/sshd', argv: ['sshd: alice [priv]'], uid: 0, role: 'daemon', parent: 0 },
  { exe: '/usr/sbin/sshd', argv: ['sshd: alice@pts/0'], uid: 1000, role: 'daemon', parent: 3 },
  { exe: '/usr/bin/bash', argv: ['-bash'], uid: 1000, role: 'shell', parent: 4 },
  { exe: '/usr/sbin/sshd', argv: ['sshd: bob [priv]'], uid: 0, role: 'daemon', parent: 0 },
  { exe: '/usr/sbin/sshd', argv: ['sshd: bob@pts/1'], uid: 1001, role: 'daemon', parent: 6 },
  { exe: '/usr/bin/bash', argv: ['-bash'], uid: 1001, role: 'shell', parent: 7 },
  { exe: '/usr/bin/bash', argv: ['bash'], uid: 0, role: 'shell', parent: 5 },
  { exe: '/usr/sbin/nginx', argv: ['nginx: master process /usr/sbin/nginx -g daemon on; master_process on;'], uid: 0, role: 'daemon' },
];

export function pickProgram(rng: SeededRandom, totalWeight: number): Program {
  let w = rng.float() * totalWeight;
  for (const p of PROGRAMS) {
    w -= p.weight;
    if (w < 0) return p;
  }
  return PROGRAMS[PROGRAMS.length - 1] as Program;
}

export const PROGRAM_WEIGHT = PROGRAMS.reduce((sum, p) => sum + p.weight, 0);

/** Basename cut to 15 bytes, as the kernel keeps `comm` (TASK_COMM_LEN - 1). */
export function commOf(exeOrArg0: string): string {
  const base = exeOrArg0.slice(exeOrArg0.lastIndexOf('/') + 1);
  return base.slice(0, 15);
}
