import { readFileSync } from 'node:fs';

/**
 * A real log's lines repeated under `hosts` node= names (h1, h2, ...), one host after the
 * other: as many machines' logs collected in one file, each a real record sequence. For tests
 * that need an ingest to last long enough to be interrupted inside it.
 */
export function manyHosts(file: string, hosts: number): Buffer {
  const lines = readFileSync(file, 'latin1').split(/(?<=\n)/);
  const out: string[] = [];
  // A line's own node= (the capture's host) is replaced: each copy is a host of its own.
  for (let h = 1; h <= hosts; h++) for (const l of lines) out.push(l.replace(/^(node=\S+ )?/, `node=h${h} `));
  return Buffer.from(out.join(''), 'latin1');
}
