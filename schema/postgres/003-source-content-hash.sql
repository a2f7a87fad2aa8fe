-- The SHA-256 of each source's content as ingested (schema/005-source-content-hash.sql for
-- SQLite says what and why). NULL: ingested before this was kept.
ALTER TABLE sources
  ADD COLUMN content_sha256 text,
  ADD COLUMN content_bytes bigint;
