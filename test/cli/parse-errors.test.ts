import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { closestOption, editDistance } from '../../src/cli/parse-command-args.js';
import { cliInProcess } from './cli-in-process.js';
import { REPO_ROOT, runCli } from './cli-runner.js';

const LOG = join(REPO_ROOT, 'samples', 'auditd', 'daemon-double-fork', 'logs');

describe('wrong options: one line naming the culprit, exit 2', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'proc-tree-parse-errors-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('a typo in a flag suggests the nearest option of that command (real CLI, real capture)', async () => {
    const db = join(dir, 'x.db');
    const { code, stdout, stderr } = await runCli(['ingest', '--dbb', db, LOG]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe('proc-tree ingest: unknown option --dbb (did you mean --db?); see proc-tree ingest --help\n');
    expect(existsSync(db)).toBe(false);
  });

  test.each([
    [['ingest', '--wiat', 'x'], 'proc-tree ingest: unknown option --wiat (did you mean --wait?); see proc-tree ingest --help'],
    [['ingest', '-db', 'x', 'y'], 'proc-tree ingest: unknown option -db (did you mean --db?); see proc-tree ingest --help'],
    [['find', '--hsot', 'a', '--cmd', 'x'], 'proc-tree find: unknown option --hsot (did you mean --host?); see proc-tree find --help'],
    [['events', '--fromat', 'auditd', 'x'], 'proc-tree events: unknown option --fromat (did you mean --format?); see proc-tree events --help'],
    [['ancestry', '-5'], 'proc-tree ancestry: unknown option -5; see proc-tree ancestry --help'],
    // A mistyped --at routes to the live form: the typo is named, not "--db needs --at".
    [['ancestry', '1297', '--db', 'x.db', '--att', '1795589388.82'], 'proc-tree ancestry: unknown option --att (did you mean --at?); see proc-tree ancestry --help'],
    [['tree', '--at', '1', '--zzzzzz'], 'proc-tree tree: unknown option --zzzzzz; see proc-tree tree --help'],
    [['push', 'x'], "proc-tree push: unexpected argument 'x' (this command takes options only); see proc-tree push --help"],
    [['tree', '--at', '1', '--json=1'], 'proc-tree tree: --json takes no value (got --json=1); see proc-tree tree --help'],
  ])('%j', async (args, line) => {
    const { code, out, err } = await cliInProcess(...args);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toBe(`${line}\n`);
  });

  test('an option whose value is missing or swallowed names what it needs, with an example', async () => {
    const swallowed = await cliInProcess('ancestry', '1', '--at', '--db', join(dir, 'none.db'));
    expect(swallowed.code).toBe(2);
    expect(swallowed.err).toBe("proc-tree ancestry: --at needs a TIME (got the option --db): e.g. --at 1795589308.123 or --at 'audit(T:SERIAL)'\n");
    const missing = await cliInProcess('ancestry', '1', '--at');
    expect(missing.code).toBe(2);
    expect(missing.err).toBe("proc-tree ancestry: --at needs a TIME: e.g. --at 1795589308.123 or --at 'audit(T:SERIAL)'\n");
    const choice = await cliInProcess('export', '--format');
    expect(choice.err).toBe('proc-tree export: --format needs one of ecs|timesketch|csv; see proc-tree export --help\n');
    const short = await cliInProcess('capture', '-o');
    expect(short.err).toBe('proc-tree capture: -o needs a FILE; see proc-tree capture --help\n');
    // A negative number is a value, given as --from=-5.
    const negative = await cliInProcess('descendants', '1', '--from', '-5', '--to', '2');
    expect(negative.err).toMatch(/^proc-tree descendants: --from needs a TIME \(got '-5'\) \(a value starting with - goes as --from=-5\)/);
  });
});

describe('closestOption', () => {
  test('one edit for short names, a transposition is one edit, unique prefixes count', () => {
    expect(closestOption('--dbb', ['db', 'host', 'json'])).toBe('db');
    expect(closestOption('--hsot', ['db', 'host'])).toBe('host');
    expect(closestOption('--dur', ['db', 'duration'])).toBe('duration');
    expect(closestOption('--xyz', ['db', 'host'])).toBeUndefined();
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
});
