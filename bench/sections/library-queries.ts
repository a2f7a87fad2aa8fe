import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchContext } from '../harness/bench-context.js';
import type { LatencySummary } from '../harness/stats.js';
import type { QueryDatabase } from './queries-section.js';

export interface LibraryQueryResult {
  query: string;
  latency: LatencySummary;
  /** How often the answer matched the simulation's ground truth, e.g. "97% = truth". */
  agreement?: string;
}

/**
 * p50/p99 of the history library's queries, in process (no CLI start-up). The library is
 * loaded from dist/ at run time so the bench builds even before src/history exists.
 */
export async function libraryQueries(ctx: BenchContext, _qdb: QueryDatabase): Promise<LibraryQueryResult[]> {
  const entry = join(ctx.repoRoot, 'dist', 'src', 'history', 'index.js');
  if (!existsSync(entry)) throw new Error('src/history is not built yet (dist/src/history/index.js missing)');
  await import(pathToFileURL(entry).href);
  throw new Error('library query benchmark not wired to the history API yet');
}
