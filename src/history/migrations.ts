import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One numbered schema step from `schema/NNN-name.sql`. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const MIGRATION_FILE = /^(\d{3})-[a-z0-9-]+\.sql$/;

/**
 * The schema folder sits at the package root; this module runs both from `src/history`
 * (vitest) and from `dist/src/history` (the CLI), so walk up until it is found.
 */
export function findSchemaDir(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'schema');
    if (existsSync(join(candidate, '001-initial.sql'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`proc-tree's schema/ folder was not found above ${from}: the installation is incomplete`);
}

/** Every migration in version order; versions must run 1, 2, 3, ... without gaps. */
export function loadMigrations(schemaDir: string = findSchemaDir()): Migration[] {
  const migrations = readdirSync(schemaDir)
    .filter((name) => MIGRATION_FILE.test(name))
    .sort()
    .map((name) => ({ version: Number(name.slice(0, 3)), name, sql: readFileSync(join(schemaDir, name), 'utf8') }));
  migrations.forEach((m, index) => {
    if (m.version !== index + 1) throw new Error(`schema/${m.name}: expected version ${index + 1} (migrations must be numbered without gaps)`);
  });
  return migrations;
}
