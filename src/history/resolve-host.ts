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
    checkHostKnown(host, hosts);
    return host;
  }
  if (hosts.length <= 1) return hosts[0] ?? '';
  if (hasPid !== undefined) {
    const matching: string[] = [];
    for (const h of hosts) if (await hasPid(h)) matching.push(h);
    if (matching.length === 1) return matching[0]!;
    if (matching.length === 0) return hosts.includes('') ? '' : hosts[0]!;
  }
  throw new UserError(`the history holds several hosts (${hostList(hosts)}): pass --host NAME`);
}

/** Hosts as a user can pass them: the unnamed one (logs without node=) is written ''. */
const hostList = (hosts: readonly string[]): string => hosts.map((h) => (h === '' ? "'' (logs without node=)" : h)).join(', ');

/**
 * A --host the history does not hold: say which hosts it does hold, and, when its only host
 * is the unnamed one (logs recorded without `node=`), that --host is simply left out.
 */
export function checkHostKnown(host: string, hosts: readonly string[]): void {
  if (hosts.includes(host)) return;
  if (hosts.length === 0) throw new UserError(`host '${host}' is not in the history: the database is empty (ingest a log first)`);
  if (hosts.length === 1 && hosts[0] === '') {
    throw new UserError(`host '${host}' is not in the history: its logs carry no node= name, so it holds one unnamed host; leave out --host`);
  }
  throw new UserError(`host '${host}' is not in the history (hosts: ${hostList(hosts)})`);
}
