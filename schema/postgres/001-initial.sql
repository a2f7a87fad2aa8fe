-- proc-tree history on PostgreSQL, version 1: the information of the SQLite schema
-- (schema/001..003), laid out to be distributed by host (Citus: docs/fleet.md).
--
-- Rules every table follows:
-- * host_id first in the primary key and in every index: a host's rows form one shard
--   and every query of one host's history filters on host_id, so it stays on that shard.
-- * Row ids (instances, parents, images, losses, sources) are allocated PER HOST by that
--   host's single writer (max(id) + 1 of the host, read under the host's writer lock):
--   no sequence shared by concurrent ingesters, no cross-shard round trip per row.
-- * A reference to another row (parent, creator, evidence source) is an id of the SAME
--   host: the pair (host_id, *_id). An input with records of several hosts (auditd node=)
--   is registered in `sources` under every host it wrote rows for, so that evidence
--   stays shard-local too.
-- * References are not declared as FOREIGN KEYs: SQLite declares them without enforcing
--   them (foreign_keys = OFF, rows are written in dependency order), and per-row RI
--   triggers would cost the bulk writer; foreign partitions (the postgres_fdw layout of
--   docs/fleet.md) cannot carry them anyway.
-- Times are wall-clock ns since the epoch (bigint); evidence columns (src, off, line, rec)
-- point back to the raw record as in SQLite.

-- Which migrations were applied; the newest version is the schema's. A reference table
-- (one small copy on every node).
CREATE TABLE proc_tree_schema (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE proc_tree_schema IS 'proc-tree history schema versions (schema/postgres/NNN-*.sql)';

-- Host names -> ids: a reference table. Concurrent ingesters allocate a host with
-- INSERT INTO hosts(name) VALUES ($1) ON CONFLICT (name) DO NOTHING RETURNING id, then
-- SELECT id FROM hosts WHERE name = $1 when it returned nothing (the unique index makes the
-- second inserter wait for the first, then see its row). The sequence is used once per
-- host, never per row.
CREATE SEQUENCE hosts_id_seq AS integer;
CREATE TABLE hosts (
  id integer PRIMARY KEY DEFAULT nextval('hosts_id_seq'),
  -- '' is the default host (no node= prefix and no --host).
  name text NOT NULL UNIQUE
);
ALTER SEQUENCE hosts_id_seq OWNED BY hosts.id;

-- Every input ever ingested for a host, recognised by the hash of its first bytes.
CREATE TABLE sources (
  host_id integer NOT NULL,
  id bigint NOT NULL,
  format text NOT NULL,
  path text NOT NULL,
  dev bigint,
  inode bigint,
  size bigint,
  head_sha256 text NOT NULL,
  head_bytes integer NOT NULL,
  -- Resume point: everything before it is in the database (same transaction as the data).
  committed_offset bigint NOT NULL DEFAULT 0,
  committed_line bigint,
  complete boolean NOT NULL DEFAULT false,
  first_ingest_ns bigint NOT NULL,
  last_ingest_ns bigint NOT NULL,
  PRIMARY KEY (host_id, id)
);
CREATE INDEX sources_by_head ON sources(host_id, head_sha256);

CREATE TABLE instances (
  host_id integer NOT NULL,
  id bigint NOT NULL,
  pid integer NOT NULL,
  -- Fork time when start_known; otherwise the first evidence ("seen since").
  start_ns bigint NOT NULL,
  start_known boolean NOT NULL,
  -- NULL while alive or unknown.
  end_ns bigint,
  -- 'observed' (exit record) or 'inferred' (pid reused, reparent evidence, ...).
  end_certainty text,
  end_reason text,
  exit_code integer,
  exit_signal integer,
  -- The process that forked it (NULL for "seen since" instances): an instance of this host.
  creator_pid integer,
  creator_id bigint,
  start_src bigint, start_off bigint, start_line bigint, start_rec text,
  end_src bigint, end_off bigint, end_line bigint, end_rec text,
  -- "Alive at T" scans (tree, find): instances grouped by the order of magnitude of their
  -- lifetime, the number of decimal digits of (end - start) in ms (0: no end yet), as the
  -- SQLite expression index of schema/003-lifetime-index.sql. An instance of class k alive
  -- at T started within 10^k ms before T: one range of start_ns per class. Stored, so the
  -- writer needs no change and queries compare a column; last column: Citus releases before
  -- 9.3 mis-handled generated columns anywhere else (citus#3538).
  lifetime_class smallint GENERATED ALWAYS AS (
    CASE WHEN end_ns IS NULL THEN 0 ELSE length((greatest(end_ns - start_ns, 0) / 1000000)::text) END
  ) STORED,
  PRIMARY KEY (host_id, id)
);
-- "Which instance of pid P was alive at T": end_ns in the index skips the ended holders of
-- a reused pid inside the index (schema/002).
CREATE INDEX instances_by_pid ON instances(host_id, pid, start_ns, end_ns);
CREATE INDEX instances_by_creator ON instances(host_id, creator_id);
CREATE INDEX instances_open ON instances(host_id, pid) WHERE end_ns IS NULL;
CREATE INDEX instances_by_lifetime ON instances(host_id, lifetime_class, start_ns, end_ns);

-- Parent over time: one row per change (creator at fork, first evidence, reparenting).
CREATE TABLE parents (
  host_id integer NOT NULL,
  id bigint NOT NULL,
  instance_id bigint NOT NULL,
  since_ns bigint NOT NULL,
  ppid integer NOT NULL,
  -- The parent's instance (of this host) when it was known at write time.
  parent_id bigint,
  -- 'fork' | 'seen' | 'reparent' | 'reparent-unverified' | 'orphaned'
  kind text NOT NULL,
  src bigint, off bigint, line bigint, rec text,
  PRIMARY KEY (host_id, id)
);
CREATE INDEX parents_by_instance ON parents(host_id, instance_id, since_ns);
CREATE INDEX parents_by_parent ON parents(host_id, parent_id);

-- Image over time: exec, first evidence, credentials or comm change.
CREATE TABLE images (
  host_id integer NOT NULL,
  id bigint NOT NULL,
  instance_id bigint NOT NULL,
  since_ns bigint NOT NULL,
  -- 'exec' | 'seen' | 'creds' | 'comm'
  kind text NOT NULL,
  exe text,
  -- JSON array, kept as the text SQLite stores (byte-identical answers on both backends).
  argv text,
  argv_truncated boolean,
  comm text,
  cwd text,
  -- bigint: an unset auid is 4294967295, beyond integer.
  uid bigint, euid bigint, gid bigint, auid bigint,
  "user" text, euser text,
  src bigint, off bigint, line bigint, rec text,
  PRIMARY KEY (host_id, id)
);
CREATE INDEX images_by_instance ON images(host_id, instance_id, since_ns);

-- Events may be missing around these times (audit serial gaps, connector overflow).
CREATE TABLE losses (
  host_id integer NOT NULL,
  id bigint NOT NULL,
  at_ns bigint NOT NULL,
  count bigint,
  reason text NOT NULL,
  src bigint, off bigint, line bigint, rec text,
  PRIMARY KEY (host_id, id)
);
CREATE INDEX losses_by_time ON losses(host_id, at_ns);

-- Small state an interrupted ingest of this host needs to continue exactly (JSON values),
-- per host: each host has its own single writer.
CREATE TABLE resume_state (
  host_id integer NOT NULL,
  key text NOT NULL,
  value text NOT NULL,
  PRIMARY KEY (host_id, key)
);

-- The writer holding a host (the advisory lock is the lock; this row names its holder so a
-- refused second writer can say who holds it and since when).
CREATE TABLE writers (
  host_id integer NOT NULL,
  pid integer NOT NULL,
  command text NOT NULL,
  client_host text,
  since timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (host_id)
);
