import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { fileURLToPath } from 'node:url';

/** A row of the ECS field reference (test/output/ecs-fields.csv, source URL in its header). */
export interface EcsField {
  type: string;
  array: boolean;
}

export function loadEcsFields(): Map<string, EcsField> {
  const text = readFileSync(fileURLToPath(new URL('./ecs-fields.csv', import.meta.url)), 'utf8');
  const out = new Map<string, EcsField>();
  for (const line of text.split('\n').slice(1)) {
    if (line === '' || line.startsWith('#') || line.startsWith('Field,')) continue;
    const [field, type, normalization] = line.split(',');
    out.set(field!, { type: type!, array: normalization === 'array' });
  }
  return out;
}

const ISO_DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/;

/**
 * What is wrong with `doc` against the table: unknown fields, wrong JSON types for the
 * declared ECS type, an array where ECS has a single value or the reverse. Fields under the
 * custom namespaces in `custom` are skipped (they are ours).
 */
export function ecsViolations(doc: Record<string, unknown>, table: Map<string, EcsField>, custom: string[]): string[] {
  const out: string[] = [];
  const check = (name: string, value: unknown) => {
    if (custom.some((c) => name === c || name.startsWith(`${c}.`))) return;
    const field = table.get(name);
    if (field === undefined) {
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        for (const [k, v] of Object.entries(value)) check(`${name}.${k}`, v);
      } else out.push(`${name}: not an ECS field`);
      return;
    }
    if (field.array !== Array.isArray(value)) out.push(`${name}: ${field.array ? 'must be an array' : 'must be a single value'}`);
    for (const v of Array.isArray(value) ? value : [value]) {
      const ok =
        field.type === 'keyword' || field.type === 'wildcard' || field.type === 'match_only_text' || field.type === 'constant_keyword'
          ? typeof v === 'string'
          : field.type === 'long'
            ? Number.isSafeInteger(v)
            : field.type === 'date'
              ? typeof v === 'string' && ISO_DATE.test(v)
              : field.type === 'boolean'
                ? typeof v === 'boolean'
                : field.type === 'ip'
                  ? typeof v === 'string' && isIP(v) !== 0
                  : false;
      if (!ok) out.push(`${name}: ${JSON.stringify(v)} is not a ${field.type}`);
    }
  };
  for (const [k, v] of Object.entries(doc)) check(k, v);
  return out;
}
