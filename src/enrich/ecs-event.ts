import { socketSyscallOf } from '../../adapters/auditd/socket-syscalls.js';
import { fileSyscallOf } from '../../adapters/auditd/file-syscalls.js';
import { classifySyscall } from '../../adapters/auditd/syscall-table.js';
import { ECS_VERSION } from '../output/ecs-record.js';
import { formatTimeNs } from '../time/format-time.js';
import { processFields, procTreeFields } from './ancestry-fields.js';
import type { EnrichedEvent } from './enrich-events.js';
import { ecsErrorFields, ecsSocketFields, eventSocket, procTreeSocket } from './event-socket.js';
import { distinctTypes } from './ndjson-event.js';
import type { RecordFields } from './record-fields.js';

type Json = Record<string, unknown>;

/** ECS event.category by record type (the first match in the event's records wins, in this order). */
const CATEGORY_BY_TYPE: readonly [string, string][] = [
  ['SOCKADDR', 'network'],
  ['USER_AUTH', 'authentication'],
  ['USER_LOGIN', 'authentication'],
  ['USER_ACCT', 'authentication'],
  ['CRED_ACQ', 'authentication'],
  ['CRED_REFR', 'authentication'],
  ['CRED_DISP', 'authentication'],
  ['USER_ERR', 'authentication'],
  ['USER_START', 'session'],
  ['USER_END', 'session'],
  ['LOGIN', 'session'],
  ['PATH', 'file'],
  ['EXECVE', 'process'],
  ['AVC', 'intrusion_detection'],
  ['CONFIG_CHANGE', 'configuration'],
];

/**
 * `enrich --format ecs`: one ECS 9.x document per audit event, field names as `export`
 * writes them (event.id = audit id, process.entity_id, host.name, log.file.path, log.offset);
 * the records themselves under the custom `auditd.records`, our facts under `proc_tree`.
 */
export function toEcsEvent(e: EnrichedEvent): Json {
  const types = distinctTypes(e);
  const syscall = e.records.find((r) => r.type === 'SYSCALL');
  const event: Json = {
    kind: 'event',
    module: 'auditd',
    category: categoriesOf(types, syscall !== undefined),
    type: ['info'],
    action: actionOf(e.records),
    id: e.id,
  };
  const outcome = outcomeOf(e.records);
  if (outcome !== undefined) event.outcome = outcome;
  const doc: Json = { '@timestamp': formatTimeNs(e.subject.timeNs), ecs: { version: ECS_VERSION }, event };
  if (e.host !== '') doc.host = { name: e.host };
  doc.process = processFields(e);
  const socket = eventSocket(e.records);
  if (socket !== undefined) Object.assign(doc, ecsSocketFields(socket));
  Object.assign(doc, ecsErrorFields(e.records));
  // log.offset is Filebeat's field (not in ECS itself): the byte offset of the first record.
  doc.log = { file: { path: e.position.file }, offset: e.position.offset };
  doc.auditd = { types, records: e.records };
  const procTree = procTreeFields(e);
  if (e.position.line !== undefined) procTree.line = e.position.line;
  if (socket !== undefined) procTree.socket = procTreeSocket(socket);
  doc.proc_tree = procTree;
  return doc;
}

export function categoriesOf(types: readonly string[], hasSyscall: boolean): string[] {
  const out = new Set<string>();
  for (const [type, category] of CATEGORY_BY_TYPE) if (types.includes(type)) out.add(category);
  if (out.size === 0) out.add(hasSyscall ? 'process' : 'host');
  return [...out];
}

/** What the event did: the syscall's name (`execve`, `connect`, `syscall` when unknown), else the first record's type (`user_login`). */
export function actionOf(records: readonly RecordFields[]): string {
  const syscall = records.find((r) => r.type === 'SYSCALL');
  return syscall !== undefined ? (syscallName(syscall) ?? 'syscall') : records[0]!.type.toLowerCase();
}

/** ENRICHED logs name the syscall (`SYSCALL=execve`); RAW ones only for the process, socket and file syscalls we know by number. */
function syscallName(r: RecordFields): string | undefined {
  const named = r.fields.SYSCALL;
  if (named !== undefined) return named;
  const nr = r.fields.syscall === undefined ? undefined : Number(r.fields.syscall);
  const known = Number.isInteger(nr) ? nr : undefined;
  return classifySyscall(r.fields.arch, known) ?? socketSyscallOf(r.fields.arch, known) ?? fileSyscallOf(r.fields.arch, known);
}

/** SYSCALL success=yes|no, else a user-space record's res=success|failed. */
export function outcomeOf(records: readonly RecordFields[]): 'success' | 'failure' | undefined {
  for (const r of records) {
    const v = r.type === 'SYSCALL' ? r.fields.success : r.fields.res;
    if (v === 'yes' || v === 'success') return 'success';
    if (v === 'no' || v === 'failed' || v === 'failure') return 'failure';
  }
  return undefined;
}
