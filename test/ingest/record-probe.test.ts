import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RecordProbe } from '../../src/ingest/record-probe.js';
import { repoRoot } from '../support/truth.js';

const probe = (...pieces: string[]): boolean => {
  const p = new RecordProbe();
  for (const piece of pieces) p.see(Buffer.from(piece, 'latin1'));
  return p.found;
};

describe('RecordProbe', () => {
  it('finds the first record of a real log however the bytes are cut into pieces', () => {
    const log = readFileSync(join(repoRoot, 'samples', 'auditd', 'rotation', 'logs', 'audit.log.1'), 'latin1');
    // A comment line first, so the record starts after a newline that may fall in another piece.
    const text = `# header\n${log.slice(0, 200)}`;
    for (let cut = 0; cut <= 20; cut++) expect(probe(text.slice(0, cut), text.slice(cut))).toBe(true);
    expect(probe(...text.split(''))).toBe(true); // one byte per piece
  });

  it('finds records with a node= prefix and at the very start of the input', () => {
    expect(probe('node=vm type=SYSCALL msg=audit(1.000:1): pid=1')).toBe(true);
    expect(probe('type=SYSCALL msg=audit(1.000:1): pid=1')).toBe(true);
  });

  it('finds nothing in an empty input or a text that only mentions type= inside lines', () => {
    expect(probe()).toBe(false);
    expect(probe('')).toBe(false);
    expect(probe(readFileSync(join(repoRoot, 'package.json'), 'latin1'), 'the "type=" field\n', '  type=indented\n')).toBe(false);
  });
});
