import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A real auditd capture: the files of samples/auditd/NAME/logs, read in full (they are small). */
export interface AuditdSample {
  name: string;
  /** File names in the logs directory, and their bytes. */
  files: { name: string; bytes: Buffer }[];
}

/** A real proc-connector capture: samples/proc-connector/NAME.cap and its sidecars. */
export interface ConnectorSample {
  name: string;
  cap: Buffer;
  /** Sidecar suffix (`.meta.json`, `.snapshot.json`, `.live.ndjson`) -> bytes. */
  sidecars: Map<string, Buffer>;
}

export interface FuzzSamples {
  auditd: AuditdSample[];
  connector: ConnectorSample[];
}

export const SIDECARS = ['.meta.json', '.snapshot.json', '.live.ndjson'] as const;

/** Every capture under samples/: the inputs every mutation starts from. */
export function loadFuzzSamples(repoRoot: string): FuzzSamples {
  const auditdRoot = join(repoRoot, 'samples', 'auditd');
  const auditd = readdirSync(auditdRoot, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(auditdRoot, d.name, 'logs')))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const logs = join(auditdRoot, name, 'logs');
      const files = readdirSync(logs)
        .sort()
        .map((f) => ({ name: f, bytes: readFileSync(join(logs, f)) }));
      return { name, files };
    })
    .filter((s) => s.files.length > 0);
  const connectorRoot = join(repoRoot, 'samples', 'proc-connector');
  const connector = readdirSync(connectorRoot)
    .filter((f) => f.endsWith('.cap'))
    .sort()
    .map((f) => {
      const sidecars = new Map<string, Buffer>();
      for (const s of SIDECARS) if (existsSync(join(connectorRoot, f + s))) sidecars.set(s, readFileSync(join(connectorRoot, f + s)));
      return { name: f, cap: readFileSync(join(connectorRoot, f)), sidecars };
    });
  if (auditd.length === 0 || connector.length === 0) throw new Error(`no captures found under ${join(repoRoot, 'samples')}`);
  return { auditd, connector };
}
