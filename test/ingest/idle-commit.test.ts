/**
 * IdleCommits: one idle commit per quiet period after new data, holding unfinished events;
 * one more with `all` once they are still held after holdMs of quiet; none while quiet
 * after that, until data comes again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { IdleCommits } from '../../src/ingest/idle-commit.js';

async function* piecesWithPauses(pauses: number[]): AsyncGenerator<Buffer> {
  for (const ms of pauses) {
    yield Buffer.from('x');
    await sleep(ms);
  }
}

describe('IdleCommits', () => {
  it('commits once when quiet, then with all after holdMs when events were held, and not again until data comes', async () => {
    const calls: string[] = [];
    let holding = true;
    const idle = new IdleCommits(
      50,
      async (all) => {
        calls.push(all ? 'all' : 'idle');
        return !all && holding;
      },
      300,
    );
    const seen: string[] = [];
    for await (const piece of idle.of(piecesWithPauses([10, 600, 10, 200]))) {
      seen.push(piece.toString());
      calls.push('piece');
      if (seen.length === 3) holding = false;
    }
    // piece, (10 ms) piece, idle, all after ~300 ms, quiet to 600 ms, piece, piece, idle (nothing held: no all)
    expect(calls).toEqual(['piece', 'piece', 'idle', 'all', 'piece', 'piece', 'idle']);
  });
});
