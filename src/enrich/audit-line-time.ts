import { HeaderScan, scanHeader } from '../../adapters/auditd/parse-record.js';

/**
 * The log time of one audit line in milliseconds (`msg=audit(SEC.MS:...)`), read from the
 * header alone: what the event search looks at to skip or bisect a log without parsing
 * its records. Undefined for a line that is not an audit record (parseRecord tells why).
 */
export function auditLineTimeMs(line: string): number | undefined {
  return scanHeader(line, scan) === undefined ? scan.sec * 1000 + scan.ms : undefined;
}

/** One scan object for every call: the header is read into it, no allocation per line. */
const scan = new HeaderScan();
