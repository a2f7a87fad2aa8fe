import type { Credentials, ProcessImage } from '../events/proc-event.js';
import type { ImageFields } from './history-writer.js';

/**
 * ProcEvent image + credentials -> the flat row the writer stores. Built by assignment in
 * one object: an object spread of two partial objects per event cost ~10% of ingest CPU
 * (V8 clones through a slow path for these varying shapes). Key order is the same as
 * before (image fields, then credentials): pending clone3 children are saved as JSON.
 */
export function imageWithCreds(image: ProcessImage | undefined, creds: Credentials | undefined): ImageFields {
  const out: ImageFields = {};
  if (image !== undefined) {
    if (image.exe !== undefined) out.exe = image.exe;
    if (image.argv !== undefined) out.argv = image.argv;
    if (image.argvTruncated === true) out.argvTruncated = true;
    if (image.comm !== undefined) out.comm = image.comm;
    if (image.cwd !== undefined) out.cwd = image.cwd;
  }
  if (creds !== undefined) addCreds(out, creds);
  return out;
}

/** A copy of `image` with the credentials of `creds` laid over it. */
export function withCreds(image: ImageFields | undefined, creds: Credentials | undefined): ImageFields {
  const out: ImageFields = { ...image };
  if (creds !== undefined) addCreds(out, creds);
  return out;
}

function addCreds(out: ImageFields, creds: Credentials): void {
  if (creds.uid !== undefined) out.uid = creds.uid;
  if (creds.euid !== undefined) out.euid = creds.euid;
  if (creds.gid !== undefined) out.gid = creds.gid;
  if (creds.auid !== undefined) out.auid = creds.auid;
  if (creds.user !== undefined) out.user = creds.user;
  if (creds.euser !== undefined) out.euser = creds.euser;
}

/** True when the image has no field at all (nothing worth a row). */
export function isEmptyImage(image: ImageFields): boolean {
  for (const _ in image) return false;
  return true;
}

/**
 * An image row as SQLite or PostgreSQL returns it -> ImageFields. `argv_truncated` is 0/1
 * in SQLite and a boolean in PostgreSQL; argv is stored as JSON text in both.
 */
export function imageFieldsOfRow(r: Record<string, unknown>): ImageFields {
  const i: ImageFields = {};
  if (r.exe !== null) i.exe = String(r.exe);
  if (r.argv !== null) i.argv = JSON.parse(String(r.argv)) as string[];
  if (r.argv_truncated !== null && Number(r.argv_truncated) === 1) i.argvTruncated = true; // Number(true) is 1 too
  if (r.comm !== null) i.comm = String(r.comm);
  if (r.cwd !== null) i.cwd = String(r.cwd);
  for (const k of ['uid', 'euid', 'gid', 'auid'] as const) if (r[k] !== null) i[k] = Number(r[k]);
  if (r.user !== null) i.user = String(r.user);
  if (r.euser !== null) i.euser = String(r.euser);
  return i;
}
