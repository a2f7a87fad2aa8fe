import type { TestProject } from 'vitest/node';
import { rmSync } from 'node:fs';
import { initTemplate, startCluster, type PostgresCluster } from './postgres-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the suite's throwaway PostgreSQL cluster. */
    pgUrl: string;
    /** A second cluster: the remote node of the two-node (postgres_fdw) test. */
    pgUrl2: string;
  }
}

/**
 * vitest globalSetup: two throwaway clusters for the whole run (one initdb, the second a
 * copy of its data dir), stopped and deleted at teardown. Their URLs reach tests through
 * inject('pgUrl') / inject('pgUrl2') and, for CLI child processes, PROC_TREE_TEST_PG /
 * PROC_TREE_TEST_PG2. Missing PostgreSQL fails the run with what to install: no test is
 * silently skipped.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const template = initTemplate();
  const clusters: PostgresCluster[] = [];
  const stopAll = (): void => {
    for (const c of clusters.splice(0)) c.stop();
  };
  try {
    // The copy first: a running server's data dir must not be copied.
    clusters.push(await startCluster(template.dataDir, true));
    clusters.push(await startCluster(template.dataDir, false));
  } catch (error) {
    stopAll();
    rmSync(template.dir, { recursive: true, force: true });
    throw error;
  }
  const [second, first] = clusters as [PostgresCluster, PostgresCluster];
  process.env.PROC_TREE_TEST_PG = first.url;
  process.env.PROC_TREE_TEST_PG2 = second.url;
  project.provide('pgUrl', first.url);
  project.provide('pgUrl2', second.url);
  return stopAll;
}
