import type { Command } from '../command.js';

/**
 * Command name -> module. Loaded lazily so `proc-tree ancestry` does not pay for
 * SQLite or the audit parser it does not use (the end-to-end target is < 200 ms).
 * Each module's default export is a Command.
 */
export const COMMANDS: Record<string, () => Promise<{ default: Command }>> = {
  snapshot: () => import('./snapshot.js'),
  ancestry: () => import('./ancestry.js'),
  events: () => import('./events.js'),
  ingest: () => import('./ingest.js'),
  tree: () => import('./tree.js'),
  descendants: () => import('./descendants.js'),
  find: () => import('./find.js'),
  timeline: () => import('./timeline.js'),
  capture: () => import('./capture.js'),
  watch: () => import('./watch.js'),
  report: () => import('./report.js'),
  export: () => import('./export.js'),
  enrich: () => import('./enrich.js'),
  explain: () => import('./explain.js'),
  push: () => import('./push.js'),
};
