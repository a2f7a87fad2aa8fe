import type { Credentials, ProcessImage } from '../events/proc-event.js';
import { userName } from '../proc/user-names.js';
import type { ProcInfo } from './types.js';

/** Linux keeps task names to 15 bytes (TASK_COMM_LEN 16 with the NUL). */
const TASK_COMM_BYTES = 15;

/**
 * What the kernel would call a task that exec'd `path`: its basename, cut to 15 bytes.
 * The kernel cuts bytes, not characters, so a multibyte name can end in half a character;
 * decoded as UTF-8 that half becomes U+FFFD, exactly what reading /proc/PID/comm or stat
 * as UTF-8 gives, so names from events and from /proc compare equal.
 */
export function commFromPath(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const bytes = Buffer.from(base, 'utf8');
  return bytes.length <= TASK_COMM_BYTES ? base : bytes.subarray(0, TASK_COMM_BYTES).toString('utf8');
}

/** The task name an image implies: its comm, else the exe's basename, else argv[0]'s. */
export function commOfImage(image: ProcessImage | undefined): string | undefined {
  if (image === undefined) return undefined;
  if (image.comm !== undefined) return image.comm;
  if (image.exe) return commFromPath(image.exe);
  const first = image.argv?.[0];
  return first ? commFromPath(first) : undefined;
}

/** A blank info for a process we know nothing else about. */
export function emptyInfo(pid: number, ppid: number, startTimeNs: bigint): ProcInfo {
  return { pid, ppid, cmd: '', exe: '', argv: [], user: '', uid: -1, euid: -1, startTimeNs };
}

/** info with the image's known fields laid over it. */
export function withImage(info: ProcInfo, image: ProcessImage | undefined): ProcInfo {
  if (image === undefined) return info;
  return {
    ...info,
    cmd: commOfImage(image) ?? info.cmd,
    exe: image.exe ?? info.exe,
    argv: image.argv ?? info.argv,
  };
}

/**
 * info with the credentials' known fields laid over it. When the uid changes without a
 * name, the name comes from this machine's /etc/passwd only if `localNames` (a live
 * source); for a replayed log from another host it becomes the uid in decimal.
 */
export function withCreds(info: ProcInfo, creds: Credentials | undefined, localNames: boolean): ProcInfo {
  if (creds === undefined) return info;
  const uid = creds.uid ?? info.uid;
  let user = creds.user ?? info.user;
  if (creds.user === undefined && creds.uid !== undefined && creds.uid !== info.uid) {
    user = localNames ? userName(creds.uid) : String(creds.uid);
  }
  return { ...info, uid, euid: creds.euid ?? info.euid, user };
}
