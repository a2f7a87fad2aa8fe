-- What each source holds, kept with its row (schema/004-source-records.sql for SQLite says
-- why and what each column is): the ingest no longer scans the evidence of every source.
ALTER TABLE sources
  ADD COLUMN first_rec text,
  ADD COLUMN last_rec text,
  ADD COLUMN tail_rec text,
  ADD COLUMN tail_off bigint,
  ADD COLUMN record_count bigint;

-- Histories ingested before: filled once from the scan the ingest did at every run (the
-- evidence rows of the source's host at its lowest and highest offset).
WITH ev AS (
  SELECT host_id, src, off, rec, replace(split_part(rec, ':', 1), '.', '')::bigint AS ms, split_part(rec, ':', 2)::bigint AS serial
  FROM (
    SELECT host_id, start_src AS src, start_off AS off, start_rec AS rec FROM instances WHERE start_rec IS NOT NULL
    UNION ALL SELECT host_id, end_src, end_off, end_rec FROM instances WHERE end_rec IS NOT NULL
    UNION ALL SELECT host_id, src, off, rec FROM parents WHERE rec IS NOT NULL
    UNION ALL SELECT host_id, src, off, rec FROM images WHERE rec IS NOT NULL
  ) e
  WHERE rec ~ '^[0-9]+\.[0-9]{3}:[0-9]+$'
),
lo AS (SELECT DISTINCT ON (host_id, src) host_id, src, rec, ms, serial FROM ev ORDER BY host_id, src, off ASC),
hi AS (SELECT DISTINCT ON (host_id, src) host_id, src, off, rec, ms, serial FROM ev ORDER BY host_id, src, off DESC)
UPDATE sources s SET
  first_rec = CASE WHEN (lo.ms, lo.serial) <= (hi.ms, hi.serial) THEN lo.rec ELSE hi.rec END,
  last_rec = CASE WHEN (lo.ms, lo.serial) <= (hi.ms, hi.serial) THEN hi.rec ELSE lo.rec END,
  tail_rec = hi.rec,
  tail_off = hi.off
FROM lo JOIN hi ON hi.host_id = lo.host_id AND hi.src = lo.src
WHERE s.host_id = lo.host_id AND s.id = lo.src;
