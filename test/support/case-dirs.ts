import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** A maker of fresh, numbered directories inside `work` (case1, case2, ...), one per test case. */
export function caseDirs(work: string): () => string {
  let n = 0;
  return () => {
    const dir = join(work, `case${++n}`);
    mkdirSync(dir);
    return dir;
  };
}
