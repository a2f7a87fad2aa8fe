import { execFile, type ExecFileOptions } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';

/** uid/gid of `nobody` on Debian: the unprivileged user the permission tests run as. */
export const NOBODY = { uid: 65534, gid: 65534 } as const;

const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

/**
 * Build artefacts of better-sqlite3 that a running program never loads (the SQLite sources,
 * object files, the static library): ~27 of its 28 MB.
 */
const UNUSED_AT_RUN_TIME = ['deps', 'src', join('build', 'Release', 'obj'), join('build', 'Release', 'obj.target'), join('build', 'Release', 'sqlite3.a')];

/**
 * A copy of the built proc-tree (dist/src and dist/adapters, schema/, package.json and the runtime
 * dependencies) in a fresh world-readable temp dir, for tests that run it as user nobody.
 * The checkout itself may sit in a root-owned 0700 directory (a `mktemp -d` clone, /root)
 * that nobody cannot enter, so a test must not run the checkout's files as nobody.
 */
export interface NobodyInstall {
  /** The copy's dist/src/cli/main.js. */
  readonly main: string;
  /** A file of the copy's dist/src, e.g. 'history/open-history-db.js'. */
  module(path: string): string;
  remove(): void;
}

export function installForNobody(): NobodyInstall {
  const builtMain = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
  if (!existsSync(builtMain)) throw new Error(`${builtMain} is missing: build with 'npx tsc -p .' (npm test does) before these tests`);
  const root = mkdtempSync(join(tmpdir(), 'proc-tree-nobody-install-'));
  for (const part of ['src', 'adapters']) cpSync(join(REPO_ROOT, 'dist', part), join(root, 'dist', part), { recursive: true });
  cpSync(join(REPO_ROOT, 'schema'), join(root, 'schema'), { recursive: true });
  cpSync(join(REPO_ROOT, 'package.json'), join(root, 'package.json')); // "type": "module"
  for (const name of runtimeDependencies()) {
    const from = join(REPO_ROOT, 'node_modules', name);
    const skip = UNUSED_AT_RUN_TIME.map((p) => join(from, p));
    cpSync(from, join(root, 'node_modules', name), {
      recursive: true,
      filter: (path) => !skip.some((s) => path === s || path.startsWith(s + sep)),
    });
  }
  // mkdtemp makes 0700 dirs; cpSync keeps the files' modes (the checkout's, readable).
  chmodSync(root, 0o755);
  return {
    main: join(root, 'dist', 'src', 'cli', 'main.js'),
    module: (path) => join(root, 'dist', 'src', path),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** package.json's dependencies and theirs, as installed at the top of node_modules. */
function runtimeDependencies(): string[] {
  const found = new Set<string>();
  const visit = (packageDir: string): void => {
    const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const name of Object.keys(manifest.dependencies ?? {})) {
      if (found.has(name) || !existsSync(join(REPO_ROOT, 'node_modules', name, 'package.json'))) continue;
      found.add(name);
      visit(join(REPO_ROOT, 'node_modules', name));
    }
  };
  visit(REPO_ROOT);
  return [...found];
}

/** Runs `node ARGS` as nobody; resolves with exit code and output (never rejects). */
export function execAsNobody(args: string[], options: ExecFileOptions = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, args, { ...options, ...NOBODY, encoding: 'utf8' }, (error, stdout, stderr) => {
      done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}
