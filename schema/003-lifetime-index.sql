-- "Alive at T" (tree at T, find at T) as a few index range scans instead of a scan of every
-- instance of the host. Instances are grouped by the order of magnitude of their lifetime:
-- the number of decimal digits of (end - start) in milliseconds (1: < 10 ms, 2: < 100 ms, ...,
-- 0: no end yet). An instance of class k alive at T started within 10^k ms before T, so each
-- class is one range of start_ns, and at most ~10x more rows are read than are alive.
-- The index is on an expression of existing columns: SQLite keeps it current on every
-- INSERT and UPDATE (the writer needs no change), and the queries must spell the expression
-- exactly like this (see lifetimeClass in src/history/sqlite-history-store.ts). end_ns is in
-- the index so that the "still alive at T" test needs no row lookup.
CREATE INDEX instances_by_lifetime ON instances(
  host_id,
  (CASE WHEN end_ns IS NULL THEN 0 ELSE length(max(end_ns - start_ns, 0) / 1000000) END),
  start_ns,
  end_ns
);
