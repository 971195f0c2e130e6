-- sync_status_view said `last_success_at` where it meant the last successful *full* sync: a
-- location sync that succeeded afterwards did not count, and nothing in the name said so. The
-- existing columns stay, in place and with the same meaning (reports and scripts read them);
-- the view gains, at the end (CREATE OR REPLACE VIEW may only add columns there), both kinds
-- named for what they are:
--   last_full_success_run_id, last_full_success_at          the last successful full sync
--                                                            (the same as last_success_*)
--   last_location_success_run_id, last_location_success_location_id, last_location_success_at
--                                                            the last successful location sync
CREATE OR REPLACE VIEW "sync_status_view" AS
WITH last_success AS (
    SELECT "id", "finished_at"
    FROM "sync_runs"
    WHERE "scope" = 'full' AND "status" = 'succeeded' AND "finished_at" IS NOT NULL
    ORDER BY "finished_at" DESC, "id" DESC
    LIMIT 1
), last_location_success AS (
    SELECT "id", "location_id", "finished_at"
    FROM "sync_runs"
    WHERE "scope" = 'location' AND "status" = 'succeeded' AND "finished_at" IS NOT NULL
    ORDER BY "finished_at" DESC, "id" DESC
    LIMIT 1
), last_run AS (
    SELECT "id", "scope", "location_id", "status", "started_at", "finished_at", "error"
    FROM "sync_runs"
    ORDER BY "started_at" DESC, "id" DESC
    LIMIT 1
)
SELECT
    ls."id"                                              AS "last_success_run_id",
    ls."finished_at"                                     AS "last_success_at",
    now() - ls."finished_at"                             AS "mirror_age",
    EXTRACT(EPOCH FROM now() - ls."finished_at")::bigint AS "mirror_age_seconds",
    lr."id"                                              AS "last_run_id",
    lr."scope"                                           AS "last_run_scope",
    lr."location_id"                                     AS "last_run_location_id",
    lr."status"                                          AS "last_run_status",
    lr."started_at"                                      AS "last_run_started_at",
    lr."finished_at"                                     AS "last_run_finished_at",
    lr."error"                                           AS "last_run_error",
    ls."id"                                              AS "last_full_success_run_id",
    ls."finished_at"                                     AS "last_full_success_at",
    lls."id"                                             AS "last_location_success_run_id",
    lls."location_id"                                    AS "last_location_success_location_id",
    lls."finished_at"                                    AS "last_location_success_at"
FROM (SELECT 1) AS one
LEFT JOIN last_success ls ON true
LEFT JOIN last_location_success lls ON true
LEFT JOIN last_run lr ON true;
