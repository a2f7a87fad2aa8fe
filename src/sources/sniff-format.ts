/**
 * Content sniffing on the first bytes of an input: compression by magic bytes (never trust
 * the extension alone: rotated logs get renamed) and the log format for `--format auto`.
 */

export type Compression = 'none' | 'gzip' | 'zip';
export type InputFormat = 'auditd' | 'proc-connector';

export function detectCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  // Local file header "PK\3\4"; an empty archive starts with the end record "PK\5\6".
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6))) {
    return 'zip';
  }
  return 'none';
}

/** struct nlmsghdr is 16 bytes, struct cn_msg 20: a proc-connector datagram is at least that. */
const MIN_CONNECTOR_DATAGRAM = 16 + 20;
const MAX_PLAUSIBLE_DATAGRAM = 1 << 16;
const NLMSG_DONE = 3;

/** A damaged first line must not hide an audit log: look this far for a record. */
const AUDIT_SNIFF_LINES = 5;

/**
 * `auditd` when one of the first lines that are not blank or `#` comments starts with
 * `type=` or `node=`; `proc-connector` when the input starts with a little-endian nlmsghdr of
 * plausible length and type NLMSG_DONE (how the connector delivers every message);
 * undefined otherwise. An empty input counts as auditd (a freshly rotated audit.log).
 */
export function sniffFormat(head: Buffer): InputFormat | undefined {
  if (head.length >= 16) {
    const length = head.readUInt32LE(0);
    const type = head.readUInt16LE(4);
    if (type === NLMSG_DONE && length >= MIN_CONNECTOR_DATAGRAM && length <= MAX_PLAUSIBLE_DATAGRAM) return 'proc-connector';
  }
  const text = head.toString('latin1');
  let start = 0;
  let looked = 0;
  while (start < text.length && looked < AUDIT_SNIFF_LINES) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    if (line.trim().length > 0 && !line.startsWith('#')) {
      if (line.startsWith('type=') || line.startsWith('node=')) return 'auditd';
      looked++;
    }
    start = end + 1;
  }
  return looked === 0 ? 'auditd' : undefined;
}
