import { UserError } from '../cli/user-error.js';
import type { HistoryReader } from './history-store.js';

/**
 * Which host a query means. Given: that one (it must exist). Not given: the only host in
 * the database, or among several the hosts where `pid` has an instance (exactly one, else
 * the user must choose: hosts are never mixed).
 */
export async function resolveHost(store: HistoryReader, host: string | undefined, hasPid?: (host: string) => Promise<boolean>): Promise<string> {
  const hosts = await store.hosts();
  if (host !== undefined) {
    if (!hosts.includes(host)) {
      const known = hosts.map((h) => (h === '' ? '(default)' : h)).join(', ');
      throw new UserError(`host '${host}' is not in the history (hosts: ${known || 'none, the database is empty'})`);
    }
    return host;
  }
  if (hosts.length <= 1) return hosts[0] ?? '';
  if (hasPid !== undefined) {
    const matching: string[] = [];
    for (const h of hosts) if (await hasPid(h)) matching.push(h);
    if (matching.length === 1) return matching[0]!;
    if (matching.length === 0) return hosts.includes('') ? '' : hosts[0]!;
  }
  throw new UserError(`the history holds several hosts (${hosts.map((h) => h || '(default)').join(', ')}): pass --host NAME`);
}
