-- proc-tree history database, version 1.
-- A process instance is (host, pid, start): never a pid alone. Times are wall-clock
-- nanoseconds since the epoch (INTEGER, int64). Evidence columns (*_src, *_off, *_line,
-- *_rec) point back to the raw record: sources.id, byte offset, 1-based line, source id
-- such as audit `1697091526.357:2638035`.

CREATE TABLE hosts (
  id INTEGER PRIMARY KEY,
  -- '' is the default host (no node= prefix and no --host).
  name TEXT NOT NULL UNIQUE
);

-- Every input ever ingested, recognised by the hash of its first bytes so that re-running an
-- ingest changes nothing and an appended (or rotated and renamed) file continues where it stopped.
CREATE TABLE sources (
  id INTEGER PRIMARY KEY,
  host_id INTEGER NOT NULL REFERENCES hosts(id),
  format TEXT NOT NULL,
  path TEXT NOT NULL,
  dev INTEGER,
  inode INTEGER,
  size INTEGER,
  head_sha256 TEXT NOT NULL,
  head_bytes INTEGER NOT NULL,
  -- Resume point: everything before it is in the database (same transaction as the data).
  committed_offset INTEGER NOT NULL DEFAULT 0,
  committed_line INTEGER,
  complete INTEGER NOT NULL DEFAULT 0,
  first_ingest_ns INTEGER NOT NULL,
  last_ingest_ns INTEGER NOT NULL
);
CREATE INDEX sources_by_head ON sources(host_id, head_sha256);

CREATE TABLE instances (
  id INTEGER PRIMARY KEY,
  host_id INTEGER NOT NULL REFERENCES hosts(id),
  pid INTEGER NOT NULL,
  -- Fork time when start_known = 1; otherwise the first evidence ("seen since").
  start_ns INTEGER NOT NULL,
  start_known INTEGER NOT NULL,
  -- NULL while alive or unknown.
  end_ns INTEGER,
  -- 'observed' (exit record) or 'inferred' (pid reused, reparent evidence, ...).
  end_certainty TEXT,
  end_reason TEXT,
  exit_code INTEGER,
  exit_signal INTEGER,
  -- The process that forked it (NULL for "seen since" instances).
  creator_pid INTEGER,
  creator_id INTEGER,
  start_src INTEGER, start_off INTEGER, start_line INTEGER, start_rec TEXT,
  end_src INTEGER, end_off INTEGER, end_line INTEGER, end_rec TEXT
);
CREATE INDEX instances_by_pid ON instances(host_id, pid, start_ns);
CREATE INDEX instances_by_creator ON instances(creator_id);
CREATE INDEX instances_open ON instances(host_id, pid) WHERE end_ns IS NULL;

-- Parent over time: one row per change (creator at fork, first evidence, reparenting).
CREATE TABLE parents (
  id INTEGER PRIMARY KEY,
  instance_id INTEGER NOT NULL REFERENCES instances(id),
  since_ns INTEGER NOT NULL,
  ppid INTEGER NOT NULL,
  -- The parent's instance when it was known at write time.
  parent_id INTEGER,
  -- 'fork' | 'seen' (first evidence) | 'reparent'
  kind TEXT NOT NULL,
  src INTEGER, off INTEGER, line INTEGER, rec TEXT
);
CREATE INDEX parents_by_instance ON parents(instance_id, since_ns);
CREATE INDEX parents_by_parent ON parents(parent_id);

-- Image over time: exec, or first evidence of what a "seen since" process runs, or a
-- credentials/comm change. A forked child with no row yet runs its creator's image at fork.
CREATE TABLE images (
  id INTEGER PRIMARY KEY,
  instance_id INTEGER NOT NULL REFERENCES instances(id),
  since_ns INTEGER NOT NULL,
  -- 'exec' | 'seen' | 'creds' | 'comm'
  kind TEXT NOT NULL,
  exe TEXT,
  argv TEXT, -- JSON array
  argv_truncated INTEGER,
  comm TEXT,
  cwd TEXT,
  uid INTEGER, euid INTEGER, gid INTEGER, auid INTEGER,
  user TEXT, euser TEXT,
  src INTEGER, off INTEGER, line INTEGER, rec TEXT
);
CREATE INDEX images_by_instance ON images(instance_id, since_ns);

-- Events may be missing around these times (audit serial gaps, connector overflow).
CREATE TABLE losses (
  id INTEGER PRIMARY KEY,
  host_id INTEGER NOT NULL REFERENCES hosts(id),
  at_ns INTEGER NOT NULL,
  count INTEGER,
  reason TEXT NOT NULL,
  src INTEGER, off INTEGER, line INTEGER, rec TEXT
);
CREATE INDEX losses_by_time ON losses(host_id, at_ns);

-- Small state that an interrupted ingest needs to continue exactly (JSON values):
-- the history builder's pending clone3 children, the pipeline's re-emission guard.
CREATE TABLE resume_state (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
