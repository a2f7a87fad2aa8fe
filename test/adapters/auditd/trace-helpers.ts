/**
 * Shared by the auditd adapter tests: where the public corpus lives, reading a trace the
 * way the CLI does (real line splitter, byte offsets), and a minimal reader for the
 * YAML-wrapped go-libaudit cases (block scalars only; no YAML dependency).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAuditdAdapter, type AuditdAdapterOptions, type AuditdAdapterStats } from '../../../adapters/auditd/index.js';
import type { IngestWarning } from '../../../src/events/event-sink.js';
import type { ProcEvent } from '../../../src/events/proc-event.js';
import { createLineSplitter } from '../../../src/sources/line-splitter.js';

export const REPO_ROOT = resolve(fileURLToPath(import.meta.url), '..', '..', '..', '..');
export const CORPUS = resolve(REPO_ROOT, '..', 'shared', 'corpus', 'public');

export function corpusPath(relative: string): string {
  return join(CORPUS, relative);
}

export interface AdapterRun {
  events: ProcEvent[];
  warnings: IngestWarning[];
  stats: AuditdAdapterStats;
}

/** Feeds bytes through the real line splitter and a fresh adapter. */
export function runBytes(bytes: Buffer, file: string, options: AuditdAdapterOptions = {}, chunkSize = 64 * 1024): AdapterRun {
  const events: ProcEvent[] = [];
  const warnings: IngestWarning[] = [];
  const adapter = createAuditdAdapter({ onEvent: (e) => events.push(e), onWarning: (w) => warnings.push(w) }, options);
  const splitter = createLineSplitter({
    file,
    startLine: 1,
    onLine: (text, offset, line) => adapter.pushLine(text, { file, offset, line: line! }),
    onSkip: (w) => adapter.skipLine(w),
  });
  for (let i = 0; i < bytes.length; i += chunkSize) splitter.push(bytes.subarray(i, i + chunkSize));
  splitter.end();
  adapter.finish();
  return { events, warnings, stats: adapter.stats() };
}

export function runTrace(relative: string, options: AuditdAdapterOptions = {}): AdapterRun {
  return runBytes(readFileSync(corpusPath(relative)), relative, options);
}

/** Every plain trace (*.log, *.txt) of the corpus, relative paths. */
export function corpusTraces(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(join(CORPUS, dir)).sort()) {
      const rel = dir === '' ? name : `${dir}/${name}`;
      if (statSync(join(CORPUS, rel)).isDirectory()) walk(rel);
      else if (/\.(log|txt)$/.test(name) && !/^(LICENSE|NOTICE)/.test(name)) out.push(rel);
    }
  };
  walk('');
  return out;
}

export function corpusYamlFiles(): string[] {
  return readdirSync(join(CORPUS, 'go-libaudit', 'aucoalesce'))
    .filter((n) => n.endsWith('.yaml'))
    .sort()
    .map((n) => `go-libaudit/aucoalesce/${n}`);
}

/**
 * Block scalars of a YAML file: `name: |` (literal) and `name: >` (folded) followed by
 * lines indented deeper than the key. Enough for go-libaudit's test case files.
 */
export function yamlBlockScalars(text: string): Map<string, string> {
  const cases = new Map<string, string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const header = /^(\s*)(?:"([^"]+)"|([^:#][^:]*)):\s*([|>])[-+]?\s*$/.exec(lines[i]!);
    if (header === null) continue;
    const keyIndent = header[1]!.length;
    const name = (header[2] ?? header[3]!).trim();
    const folded = header[4] === '>';
    const body: string[] = [];
    let indent: number | undefined;
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = lines[j]!;
      if (line.trim() === '') {
        body.push('');
        continue;
      }
      const lead = line.length - line.trimStart().length;
      if (lead <= keyIndent) break;
      indent ??= lead;
      body.push(line.slice(Math.min(indent, lead)));
    }
    while (body.length > 0 && body[body.length - 1] === '') body.pop();
    // Folded: single newlines become spaces, blank lines become newlines.
    const value = folded ? body.join('\n').replace(/([^\n])\n(?=[^\n])/g, '$1 ').replace(/\n\n/g, '\n') : body.join('\n');
    cases.set(name, value + '\n');
    i = j - 1;
  }
  return cases;
}

/** Lines of a trace (latin1, as the splitter reads them). */
export function traceLines(relative: string): string[] {
  return readFileSync(corpusPath(relative)).toString('latin1').split('\n');
}
