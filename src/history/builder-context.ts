import type { HistoryBuilderStats } from './builder-stats.js';
import type { HistoryWriter } from './history-writer.js';

/** What every step of the history builder shares: where rows go and what is counted. */
export interface BuilderContext {
  readonly writer: HistoryWriter;
  readonly stats: HistoryBuilderStats;
}
