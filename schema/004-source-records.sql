-- What each source holds, kept with its row so that ingest need not scan the evidence of
-- instances, parents and images at every run (the repeated-records check and the resume
-- check read these; src/ingest/source-records.ts keeps them as events are read):
-- first_rec/last_rec: lowest and highest audit id of its records (`SECONDS.MILLIS:SERIAL`,
-- compared as (seconds.millis, serial)); tail_rec/tail_off: the record cited from the
-- highest byte offset (a resumed input must still hold it there); record_count: process
-- events stored from it (NULL: ingested before this was counted).
ALTER TABLE sources ADD COLUMN first_rec TEXT;
ALTER TABLE sources ADD COLUMN last_rec TEXT;
ALTER TABLE sources ADD COLUMN tail_rec TEXT;
ALTER TABLE sources ADD COLUMN tail_off INTEGER;
ALTER TABLE sources ADD COLUMN record_count INTEGER;

-- Histories ingested before: filled once from the scan the ingest did at every run (the
-- evidence rows at the lowest and highest offset of each source; losses left out, their id
-- is the gap's; connector ids `cpu/seq` are not audit ids).
WITH ev AS (
  SELECT src, off, rec, CAST(replace(substr(rec, 1, instr(rec, ':') - 1), '.', '') AS INTEGER) AS ms, CAST(substr(rec, instr(rec, ':') + 1) AS INTEGER) AS serial
  FROM (
    SELECT start_src AS src, start_off AS off, start_rec AS rec FROM instances WHERE start_rec IS NOT NULL
    UNION ALL SELECT end_src, end_off, end_rec FROM instances WHERE end_rec IS NOT NULL
    UNION ALL SELECT src, off, rec FROM parents WHERE rec IS NOT NULL
    UNION ALL SELECT src, off, rec FROM images WHERE rec IS NOT NULL
  )
  WHERE rec GLOB '[0-9]*.[0-9][0-9][0-9]:[0-9]*'
),
-- SQLite takes the bare columns from the row holding MIN/MAX(off).
lo AS (SELECT src, MIN(off) AS off, rec, ms, serial FROM ev GROUP BY src),
hi AS (SELECT src, MAX(off) AS off, rec, ms, serial FROM ev GROUP BY src)
UPDATE sources SET
  first_rec = CASE WHEN lo.ms < hi.ms OR (lo.ms = hi.ms AND lo.serial <= hi.serial) THEN lo.rec ELSE hi.rec END,
  last_rec = CASE WHEN lo.ms < hi.ms OR (lo.ms = hi.ms AND lo.serial <= hi.serial) THEN hi.rec ELSE lo.rec END,
  tail_rec = hi.rec,
  tail_off = hi.off
FROM lo JOIN hi ON hi.src = lo.src
WHERE sources.id = lo.src;
