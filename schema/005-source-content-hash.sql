-- The SHA-256 of each source's content as ingested: bytes 0..content_bytes (decompressed for
-- a .gz or a zip entry; content_bytes is the resume offset committed with it). A file that
-- starts like a known source (same first 4096 bytes) is only taken as that source when its
-- own first content_bytes bytes hash the same (src/ingest/open-auditd-source.ts): an edited
-- copy of the same length is another source. NULL: ingested before this was kept.
ALTER TABLE sources ADD COLUMN content_sha256 TEXT;
ALTER TABLE sources ADD COLUMN content_bytes INTEGER;
