import { UserError } from '../cli/user-error.js';
import { formatTimeNs } from '../time/format-time.js';
import type { HistoryReader } from './history-store.js';
import { withinHistory } from './history-span.js';

/** pid 1 is on every host (init runs from boot to shutdown), recorded or not. */
const INIT_PID = 1;

/**
 * The host a query answers for, and, on a history of several hosts, what the answer must
 * say about it: a responder reading `host b:` above a chain knows which machine it is from.
 */
export interface HostChoice {
  host: string;
  /** Set when the history holds several hosts: the answer names its host. */
  several?: {
    /** The other hosts where the pid was recorded, when the time ruled them out. */
    alsoOn: string[];
    /** The time that ruled them out (text, as the user reads it). */
    when?: string;
  };
}

/** The time of a query, for choosing among the hosts that recorded the pid. */
export interface HostTime {
  /** `at 2026-…Z` or `in 2026-…Z .. 2026-…Z`. */
  text: string;
  /** The pid's process was alive then on `host`, within that host's recorded history. */
  aliveOn: (host: string) => Promise<boolean>;
}

/**
 * Which host a query about `pid` means. Given: that one (it must exist). Not given: the only
 * host of the history; among several, the one host that recorded the pid, or, of those that
 * did, the one host where it was alive at the query's time (within that host's history: a
 * process with no recorded exit is not "alive" after its host's log ends). Otherwise the
 * user chooses (hosts are never mixed, never picked silently): the pid on no host, or on
 * several, is a UserError naming the hosts.
 */
export async function choosePidHost(store: HistoryReader, given: string | undefined, pid: number, time?: HostTime): Promise<HostChoice> {
  const hosts = await store.hosts();
  const several: HostChoice['several'] = hosts.length > 1 ? { alsoOn: [] } : undefined;
  if (given !== undefined) {
    checkHostKnown(given, hosts);
    return { host: given, ...(several ? { several } : {}) };
  }
  if (several === undefined) return { host: hosts[0] ?? '' };
  const holders = pid === INIT_PID ? hosts : await store.hostsWithPid(pid);
  if (holders.length === 0) throw new UserError(`pid ${pid} is not in the history of any host (${hostList(hosts)})`);
  if (holders.length === 1) return { host: holders[0]!, several };
  if (time === undefined) throw new UserError(`pid ${pid} is on hosts ${hostList(holders)}: pass --host NAME`);
  const alive: string[] = [];
  for (const h of holders) if (await time.aliveOn(h)) alive.push(h);
  if (alive.length === 1) {
    const host = alive[0]!;
    return { host, several: { alsoOn: holders.filter((h) => h !== host), when: time.text } };
  }
  const then = alive.length === 0 ? `alive ${time.text} within the history of none of them` : `alive ${time.text} on ${hostList(alive)}`;
  throw new UserError(`pid ${pid} is on hosts ${hostList(holders)} (${then}): pass --host NAME`);
}

/** `at T` for HostTime.text. */
export const atText = (atNs: bigint): string => `at ${formatTimeNs(atNs)}`;

/**
 * Which host a query means, without a pid to choose by (a whole tree): given, or the only
 * one. With `pid`, as choosePidHost.
 */
export async function chooseHost(store: HistoryReader, host: string | undefined, pid?: number, time?: HostTime): Promise<HostChoice> {
  if (pid !== undefined) return choosePidHost(store, host, pid, time);
  const hosts = await store.hosts();
  if (host !== undefined) {
    checkHostKnown(host, hosts);
    return { host, ...(hosts.length > 1 ? { several: { alsoOn: [] } } : {}) };
  }
  if (hosts.length <= 1) return { host: hosts[0] ?? '' };
  throw new UserError(`the history holds several hosts (${hostList(hosts)}): pass --host NAME`);
}

/** The line that names the host above an answer on a history of several hosts ('' otherwise). */
export function hostHeader(choice: HostChoice | undefined, pid: number | undefined): string {
  if (choice?.several === undefined) return '';
  const name = hostName(choice.host);
  const { alsoOn, when } = choice.several;
  if (alsoOn.length === 0 || when === undefined) return `host ${name}:\n`;
  // init is on every host: what tells them apart is whose history covers the time.
  if (pid === INIT_PID) return `host ${name}: the only host whose history covers ${when.replace(/^at /, '')}\n`;
  return `host ${name}: the only host where pid ${pid} was alive ${when} (pid ${pid} is also in the history of ${hostList(alsoOn)})\n`;
}

/** A host as a user can pass it: the unnamed one (logs without node=) is written ''. */
export const hostName = (h: string): string => (h === '' ? "'' (logs without node=)" : h);

/**
 * A host in a table cell (find's HOST column): the unnamed one as '', which is also what
 * --host takes for it in a shell (`--host ''`), so a cell can be pasted back as the option.
 */
export const hostCell = (h: string): string => (h === '' ? "''" : h);

/** Labels other tools (and older proc-tree output) give the unnamed host: pointed at `--host ''`. */
const UNNAMED_LABELS = new Set(["''", '""', '(default)', '(default host)', 'default']);

/** Hosts named in one line at most (a fleet history holds hundreds). */
const MAX_HOSTS_NAMED = 10;

/** Hosts as a user can pass them, the first MAX_HOSTS_NAMED then how many more. */
export const hostList = (hosts: readonly string[]): string =>
  hosts.slice(0, MAX_HOSTS_NAMED).map(hostName).join(', ') + (hosts.length > MAX_HOSTS_NAMED ? ` and ${hosts.length - MAX_HOSTS_NAMED} more` : '');

/**
 * A --host the history does not hold: say which hosts it does hold, and, when its only host
 * is the unnamed one (logs recorded without `node=`), that --host is simply left out.
 */
export function checkHostKnown(host: string, hosts: readonly string[]): void {
  if (hosts.includes(host)) return;
  if (hosts.length === 0) throw new UserError(`host '${host}' is not in the history: the database is empty (ingest a log first)`);
  if (hosts.includes('') && UNNAMED_LABELS.has(host)) {
    throw new UserError(`host '${host}' is not in the history: the host of logs without node= is written --host '' (an empty name)`);
  }
  if (hosts.length === 1 && hosts[0] === '') {
    throw new UserError(`host '${host}' is not in the history: its logs carry no node= name, so it holds one unnamed host; leave out --host`);
  }
  throw new UserError(`host '${host}' is not in the history (hosts: ${hostList(hosts)})`);
}

/**
 * The host of a node-less event's process in a history of several hosts: the one that
 * recorded `pid` with a history covering `timeNs` (choosePidHost's rule; a UserError naming
 * the hosts when that is not one). Used by enrich and explain alike.
 */
export async function hostOfEventPid(reader: HistoryReader, pid: number, timeNs: bigint): Promise<string> {
  return (await choosePidHost(reader, undefined, pid, { text: atText(timeNs), aliveOn: (h) => withinHistory(reader, h, timeNs) })).host;
}
