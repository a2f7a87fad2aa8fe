import type { ContentDigest, ContentHash } from './content-hash.js';
import type { InputReport } from './ingest-summary.js';
import type { ReadPosition } from './position-ring.js';
import type { SourceInfo, SourceKey, SourceRow } from './source-registry.js';

/**
 * One byte stream read in this run (a file, a zip entry, stdin, one generation of a followed
 * log), in reading order (`ord`), with how far it was consumed: what a commit records.
 */
export interface ReadSource {
  ord: number;
  /** sources.id of its registry row. */
  id: number;
  /** Unique in this run: evidence and positions name it. */
  name: string;
  key: SourceKey;
  info: SourceInfo;
  startOffset: number;
  startLine?: number;
  /** After the last complete line handed to the adapter. */
  consumedOffset: number;
  consumedLine?: number;
  /** Read to its end (not stopped, not damaged). */
  finished: boolean;
  /** SHA-256 of its content as read, from byte 0, hashed in this thread (a resumed source). */
  content?: ContentHash;
  /**
   * A source read from its start is hashed in the parse stage instead (parse-stage.ts): its
   * digests at the start, at the last few resume points in it and at its end, as batches brought them.
   */
  stageDigests?: { start: ContentDigest; resumes: ContentDigest[]; end?: ContentDigest };
  /** What the last commit of this run wrote to its registry row (commit-positions.ts skips an unchanged row). */
  committed?: {
    offset: number;
    line: number | undefined;
    complete: boolean;
    headSha256: string;
    headBytes: number;
    size: number | undefined;
    dev: number | undefined;
    inode: number | undefined;
    /** recordsKey (source-records.ts) of what it holds. */
    records: string;
  };
  report: InputReport;
}

/**
 * A source about to be read from `startOffset` (usually its registry row's committed
 * position). `startLine` is the line number there; undefined when unknown (then evidence
 * carries byte offsets only).
 */
export function newReadSource(row: SourceRow, name: string, key: SourceKey, info: SourceInfo, startOffset: number, startLine: number | undefined, reportPath = name): ReadSource {
  const rs: ReadSource = {
    ord: -1,
    id: row.id,
    name,
    key,
    info,
    startOffset,
    consumedOffset: startOffset,
    finished: false,
    report: { path: reportPath, format: key.format, status: startOffset > 0 ? 'resumed' : 'read', fromOffset: startOffset, bytes: 0, lines: 0 },
  };
  if (startLine !== undefined) {
    rs.startLine = startLine;
    rs.consumedLine = startLine;
  }
  return rs;
}

export function positionOf(s: ReadSource): ReadPosition {
  return s.consumedLine === undefined ? { ord: s.ord, offset: s.consumedOffset } : { ord: s.ord, offset: s.consumedOffset, line: s.consumedLine };
}

/** The sources of one run in reading order, and the maps from evidence names and row ids to them. */
export class SourceList {
  readonly all: ReadSource[] = [];
  private readonly srcByName = new Map<string, number>();
  private readonly ordBySrc = new Map<number, number>();
  /** Names with an ordinal not yet handed out by newNameOrds. */
  private unsent: [string, number][] = [];

  /** Appends `rs` in reading order (sets its ord). */
  add(rs: ReadSource): ReadSource {
    rs.ord = this.all.length;
    this.all.push(rs);
    this.ordBySrc.set(rs.id, rs.ord);
    this.srcByName.set(rs.name, rs.id);
    this.unsent.push([rs.name, rs.ord]);
    return rs;
  }

  /** A source whose events are not ordered by position (a connector capture): named, no ord. */
  name(name: string, id: number): void {
    this.srcByName.set(name, id);
    const ord = this.ordBySrc.get(id);
    if (ord !== undefined) this.unsent.push([name, ord]);
  }

  idOf = (name: string): number | undefined => this.srcByName.get(name);
  ordOf = (src: number): number | undefined => this.ordBySrc.get(src);

  /**
   * The source names given a reading ordinal since the last call (what the parse stage maps
   * pending positions with; it keeps the earlier ones). Only the new ones: handing every name
   * to every source made a zip of 10,000 entries quadratic (50 M pairs copied to the parse
   * worker, 25 s of a 26 s ingest; bench/reliability/cases/big-zip.ts).
   */
  newNameOrds(): [string, number][] {
    const out = this.unsent;
    this.unsent = [];
    return out;
  }
}

/** The SHA-256 of the source's content up to `offset`, when known (what a commit at `offset` records). */
export function digestAt(s: ReadSource, offset: number): ContentDigest | undefined {
  if (s.content !== undefined) return s.content.at(offset);
  const d = s.stageDigests;
  if (d === undefined) return undefined;
  return [d.end, ...d.resumes, d.start].find((x) => x?.bytes === offset);
}
