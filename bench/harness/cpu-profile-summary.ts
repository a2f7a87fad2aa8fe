import { readFileSync } from 'node:fs';

/** The slice of V8's .cpuprofile format (node --cpu-prof) this summary reads. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

export interface HotSpot {
  /** `function file:line` (1-based line). */
  where: string;
  selfMs: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Self time by function, largest first. */
  functions: HotSpot[];
  /** Self time by pipeline stage (folder of the source file, GC, native, node internals). */
  stages: HotSpot[];
}

/** Which stage a script URL belongs to: the folder that says which part of the pipeline runs. */
function stageOf(url: string, functionName: string): string {
  if (url === '') {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)' || functionName === '(program)') return functionName;
    return 'native (V8 builtins, SQLite via better-sqlite3, Buffer ops)';
  }
  const m = /\/dist\/((?:adapters|src|bench)\/[^/]+)\//.exec(url);
  if (m) return m[1] as string;
  if (url.includes('node_modules/better-sqlite3')) return 'better-sqlite3 (JS side)';
  if (url.startsWith('node:')) return 'node internals';
  return url.replace(/^.*\//, '');
}

/** Sums self time per function and per stage over one or more profiles (main thread + workers). */
export function summarizeProfiles(files: string[], top = 25): ProfileSummary {
  const byFunction = new Map<string, number>();
  const byStage = new Map<string, number>();
  let total = 0;
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    for (let i = 0; i < profile.samples.length; i++) {
      const node = nodes.get(profile.samples[i] as number);
      const dt = (profile.timeDeltas[i] ?? 0) / 1000;
      if (node === undefined) continue;
      const { functionName, url, lineNumber } = node.callFrame;
      const name = functionName || '(anonymous)';
      if (name === '(idle)') continue;
      const where = url === '' ? name : `${name} ${url.replace(/^.*\/dist\//, '').replace(/^file:\/\//, '')}:${lineNumber + 1}`;
      byFunction.set(where, (byFunction.get(where) ?? 0) + dt);
      const stage = stageOf(url, name);
      byStage.set(stage, (byStage.get(stage) ?? 0) + dt);
      total += dt;
    }
  }
  const rank = (m: Map<string, number>, n: number): HotSpot[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([where, selfMs]) => ({ where, selfMs, share: total > 0 ? selfMs / total : 0 }));
  return { totalMs: total, functions: rank(byFunction, top), stages: rank(byStage, 100) };
}
