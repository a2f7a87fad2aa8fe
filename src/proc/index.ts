/**
 * Raw /proc reading (the crate's `proc` module). Everything that touches /proc goes
 * through here so the rest of the tree code stays pure.
 */
export { DEFAULT_PROC_ROOT, pidDir, type ProcOptions } from './proc-options.js';
export { parseStat, type ProcStat } from './parse-stat.js';
export { parseStatus, type ProcStatus } from './parse-status.js';
export { parseCmdline } from './parse-cmdline.js';
export { clockTicksPerSecond, FALLBACK_CLK_TCK } from './clock-ticks.js';
export { bootTimeNs } from './boot-time.js';
export { readProcStartTimeNs, sameStartTime, startTicksToEpochNs, tickNs } from './start-time.js';
export { userName, userName as uidToUsername, parsePasswd, DEFAULT_PASSWD_PATH } from './user-names.js';
export { readProcComm, readProcStatusFields } from './read-proc-fields.js';
export { listPids } from './list-pids.js';
export {
  readProcEntry,
  parseProcEntry,
  type ProcEntryProblem,
  type ProcEntryResult,
} from './read-proc-entry.js';
