-- Is the mirror fresh and complete? One row per account and scope (`full`, `location`,
-- `backfill`) that has runs, from `sync_runs` and `backfill_chunks` alone:
--   last_complete_run_id, last_complete_at   the last run of the scope that succeeded
--   age, age_seconds                         since then; when no run of the scope has succeeded,
--                                            since its first run started (the mirror has not been
--                                            complete for at least that long)
--   last_run_id, last_run_status, last_run_started_at, last_run_finished_at, last_run_reasons
--                                            the last run that finished, and why it was not a success
--   running_run_id, running_since            a run of the scope alive now, if any
--   unsuccessful_in_a_row                    runs finished partial, failed or abandoned since the
--                                            last success (all of them when none succeeded)
--   tombstoned_rows                          rows the last finished run marked deleted
--   guard_held_rows, guard_held              rows the mass-delete guard held back in that run (its
--                                            `held` counts; NULL for runs recorded before them)
--   appointment_ranges                       the dates of appointments the scope reads, each with
--                                            whether every date was read completely: the window of
--                                            the last finished full run; every range a backfill
--                                            was asked for, as `backfill_chunks` covers it now
--   appointments_complete                    every one of those ranges complete (NULL: none)
--
-- The account: every row of both tables is the default account's until they carry an `account`
-- column. `accounts`, `runs` and `chunks`, at the top of the view, are the one place that says so:
-- the migration that adds the column makes them the accounts that have runs and the tables
-- themselves.
--
-- Every part but the backfilled ranges reads a few rows of one scope through the index below,
-- newest first, so the view costs about the same after years of hourly runs (measured on 50,000
-- runs: 5-6 s when every run's stats was read, 25-40 ms this way, 18 ms of it planning).
CREATE INDEX "sync_runs_scope_finished_at_id_idx" ON "sync_runs" ("scope", "finished_at", "id");

CREATE VIEW "mirror_freshness_view" AS
WITH accounts AS (
    SELECT 'default'::text AS "account"
), runs AS NOT MATERIALIZED (
    SELECT 'default'::text AS "account", r.* FROM "sync_runs" r
), chunks AS NOT MATERIALIZED (
    SELECT 'default'::text AS "account", c.* FROM "backfill_chunks" c
), scopes AS (
    -- The scopes a run may have (db/sync-runs.ts, RunScope), each probed through the index.
    SELECT a."account", v."scope"
    FROM accounts a
    CROSS JOIN (VALUES ('full'), ('location'), ('backfill')) AS v("scope")
    WHERE EXISTS (SELECT 1 FROM runs r WHERE r."account" = a."account" AND r."scope" = v."scope")
), backfill_ranges AS (
    -- Every range a backfill was asked for (`appointment_range`, written by runs since this view;
    -- the latest run of each), complete when the chunks backfilled so far, by any run, cover each
    -- of its dates (chunks of two ranges may overlap, so dates are counted, not chunk lengths).
    SELECT DISTINCT ON (r."account", "start_date", "end_date")
           r."account", r."id", "start_date", "end_date"
    FROM runs r
    CROSS JOIN LATERAL (SELECT (r."stats"->'appointment_range'->>'startDate')::date AS "start_date",
                               (r."stats"->'appointment_range'->>'endDate')::date AS "end_date") d
    WHERE r."scope" = 'backfill' AND r."status" <> 'running' AND r."finished_at" IS NOT NULL
      AND jsonb_typeof(r."stats"->'appointment_range') = 'object'
    ORDER BY r."account", "start_date", "end_date", r."finished_at" DESC, r."id" DESC
), backfill_coverage AS (
    SELECT b."account", 'backfill'::text AS "scope",
           jsonb_agg(jsonb_build_object(
               'startDate', to_char(b."start_date", 'YYYY-MM-DD'),
               'endDate', to_char(b."end_date", 'YYYY-MM-DD'),
               'runId', b."id",
               'complete', d."days" = b."end_date" - b."start_date" + 1)
             ORDER BY b."start_date", b."end_date") AS "ranges",
           bool_and(d."days" = b."end_date" - b."start_date" + 1) AS "complete"
    FROM backfill_ranges b
    CROSS JOIN LATERAL (
        SELECT count(DISTINCT day) AS "days"
        FROM chunks c
        CROSS JOIN LATERAL generate_series(greatest(c."start_date"::date, b."start_date"),
                                           least(c."end_date"::date, b."end_date"), interval '1 day') AS day
        WHERE c."account" = b."account"
          AND c."start_date" <= to_char(b."end_date", 'YYYY-MM-DD')
          AND c."end_date" >= to_char(b."start_date", 'YYYY-MM-DD')
    ) d
    GROUP BY b."account"
)
SELECT
    s."account",
    s."scope",
    lc."id"                                                       AS "last_complete_run_id",
    lc."finished_at"                                              AS "last_complete_at",
    now() - since."at"                                            AS "age",
    EXTRACT(EPOCH FROM now() - since."at")::bigint                AS "age_seconds",
    lf."id"                                                       AS "last_run_id",
    lf."status"                                                   AS "last_run_status",
    lf."started_at"                                               AS "last_run_started_at",
    lf."finished_at"                                              AS "last_run_finished_at",
    lf."error"                                                    AS "last_run_reasons",
    alive."id"                                                    AS "running_run_id",
    alive."started_at"                                            AS "running_since",
    streak."runs"                                                 AS "unsuccessful_in_a_row",
    CASE WHEN lf."id" IS NULL THEN NULL ELSE coalesce(counts."deleted", 0) END AS "tombstoned_rows",
    counts."held"                                                 AS "guard_held_rows",
    counts."held" > 0                                             AS "guard_held",
    CASE s."scope"
        WHEN 'full' THEN CASE WHEN win."range" IS NULL THEN NULL ELSE jsonb_build_array(win."range") END
        WHEN 'backfill' THEN bc."ranges"
    END                                                           AS "appointment_ranges",
    CASE s."scope" WHEN 'full' THEN win."complete" WHEN 'backfill' THEN bc."complete" END AS "appointments_complete"
FROM scopes s
-- The last run of the scope that finished, whatever its status.
LEFT JOIN LATERAL (
    SELECT r."id", r."status", r."started_at", r."finished_at", r."error", r."stats"
    FROM runs r
    WHERE r."account" = s."account" AND r."scope" = s."scope"
      AND r."finished_at" IS NOT NULL AND r."status" <> 'running'
    ORDER BY r."finished_at" DESC, r."id" DESC
    LIMIT 1
) lf ON true
-- The last run of the scope that succeeded.
LEFT JOIN LATERAL (
    SELECT r."id", r."finished_at"
    FROM runs r
    WHERE r."account" = s."account" AND r."scope" = s."scope"
      AND r."finished_at" IS NOT NULL AND r."status" = 'succeeded'
    ORDER BY r."finished_at" DESC, r."id" DESC
    LIMIT 1
) lc ON true
-- The age counts from that success, or from the scope's first run when none succeeded.
CROSS JOIN LATERAL (
    SELECT coalesce(lc."finished_at",
                    (SELECT min(r."started_at") FROM runs r
                     WHERE r."account" = s."account" AND r."scope" = s."scope")) AS "at"
) since
LEFT JOIN LATERAL (
    SELECT r."id", r."started_at"
    FROM runs r
    WHERE r."account" = s."account" AND r."scope" = s."scope" AND r."status" = 'running'
    ORDER BY r."id" DESC
    LIMIT 1
) alive ON true
CROSS JOIN LATERAL (
    SELECT count(*)::int AS "runs"
    FROM runs r
    WHERE r."account" = s."account" AND r."scope" = s."scope"
      AND r."finished_at" IS NOT NULL AND r."status" NOT IN ('running', 'succeeded')
      AND r."finished_at" > coalesce(lc."finished_at", '-infinity')
) streak
-- Per table of the last finished run, its counts (the other keys of `stats` are not tables).
LEFT JOIN LATERAL (
    SELECT sum((t."counts"->>'deleted')::bigint) FILTER (WHERE jsonb_typeof(t."counts"->'deleted') = 'number') AS "deleted",
           sum((t."counts"->>'held')::bigint) FILTER (WHERE jsonb_typeof(t."counts"->'held') = 'number') AS "held"
    FROM jsonb_each(CASE WHEN jsonb_typeof(lf."stats") = 'object' THEN lf."stats" ELSE '{}' END) AS t("table", "counts")
    WHERE jsonb_typeof(t."counts") = 'object' AND t."table" NOT LIKE 'appointment\_%'
) counts ON true
-- The window of the last finished full run: complete when its complete chunks (which never
-- overlap within a run) cover every date of it. A run that recorded no range (an older one, or
-- one stopped before its end) read it completely only if it succeeded.
LEFT JOIN LATERAL (
    SELECT CASE WHEN w."start_date" IS NULL THEN NULL ELSE jsonb_build_object(
               'startDate', to_char(w."start_date", 'YYYY-MM-DD'),
               'endDate', to_char(w."end_date", 'YYYY-MM-DD'),
               'runId', lf."id",
               'complete', w."covered" = w."end_date" - w."start_date" + 1) END AS "range",
           CASE WHEN w."start_date" IS NULL THEN lf."status" = 'succeeded'
                ELSE w."covered" = w."end_date" - w."start_date" + 1 END AS "complete"
    FROM (
        SELECT a."start_date", a."end_date",
               (SELECT coalesce(sum(least((c->>'endDate')::date, a."end_date")
                                    - greatest((c->>'startDate')::date, a."start_date") + 1), 0)
                FROM jsonb_array_elements(CASE WHEN jsonb_typeof(lf."stats"->'appointment_chunks') = 'array'
                                               THEN lf."stats"->'appointment_chunks' ELSE '[]' END) AS c
                WHERE (c->>'complete') = 'true'
                  AND (c->>'startDate')::date <= a."end_date" AND (c->>'endDate')::date >= a."start_date"
               ) AS "covered"
        FROM (SELECT CASE WHEN jsonb_typeof(lf."stats"->'appointment_range') = 'object'
                          THEN (lf."stats"->'appointment_range'->>'startDate')::date END AS "start_date",
                     CASE WHEN jsonb_typeof(lf."stats"->'appointment_range') = 'object'
                          THEN (lf."stats"->'appointment_range'->>'endDate')::date END AS "end_date") a
    ) w
    WHERE s."scope" = 'full' AND lf."id" IS NOT NULL
) win ON true
LEFT JOIN backfill_coverage bc ON bc."account" = s."account" AND bc."scope" = s."scope";
