import type { ProcessRecord } from '../history/process-records.js';
import { toEcs } from './ecs-record.js';
import { flatten } from './flatten.js';

/** CSV columns: ECS names (flattened with `_`, as in the Timesketch records). */
export const CSV_COLUMNS = [
  'timestamp',
  'event_action',
  'event_type',
  'host_name',
  'process_pid',
  'process_entity_id',
  'process_start',
  'process_parent_pid',
  'process_parent_entity_id',
  'process_executable',
  'process_command_line',
  'process_user_id',
  'process_user_name',
  'process_exit_code',
  'event_id',
  'log_file_path',
  'log_offset',
  'proc_tree_start_known',
  'proc_tree_end_certainty',
  'proc_tree_end_reason',
  'proc_tree_end_signal',
  'proc_tree_uncertainty',
] as const;

/** RFC 4180: quote a field holding a comma, quote or line break; double the quotes. */
function csvField(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = Array.isArray(value) ? value.join('; ') : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const csvHeader = (): string => CSV_COLUMNS.join(',') + '\r\n';

export function toCsvRow(r: ProcessRecord): string {
  const flat = flatten(toEcs(r));
  return CSV_COLUMNS.map((c) => csvField(flat[c])).join(',') + '\r\n';
}
