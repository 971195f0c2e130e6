-- Reporting views: the questions people ask of the mirror, with active rows only (a row or link
-- whose `deleted_at` is set, or that points at a tombstoned location, staff member or service,
-- is left out). They are not in schema.prisma (Prisma models views only behind a preview flag);
-- the tables stay the source of truth and the views are plain SQL over them.

-- Who works where.
CREATE VIEW "location_staff_view" AS
SELECT
    l."id"         AS "location_id",
    l."name"       AS "location_name",
    s."id"         AS "staff_id",
    s."full_name"  AS "staff_name",
    s."email"      AS "staff_email",
    ls."created_at" AS "linked_at"
FROM "location_staff" ls
JOIN "locations" l ON l."id" = ls."location_id" AND l."deleted_at" IS NULL
JOIN "staff" s ON s."id" = ls."staff_id" AND s."deleted_at" IS NULL
WHERE ls."deleted_at" IS NULL;

-- What is offered where.
CREATE VIEW "location_services_view" AS
SELECT
    l."id"                 AS "location_id",
    l."name"               AS "location_name",
    v."id"                 AS "service_id",
    v."name"               AS "service_name",
    v."duration_minutes"   AS "duration_minutes",
    v."service_type"       AS "service_type",
    lv."created_at"        AS "linked_at"
FROM "location_services" lv
JOIN "locations" l ON l."id" = lv."location_id" AND l."deleted_at" IS NULL
JOIN "services" v ON v."id" = lv."service_id" AND v."deleted_at" IS NULL
WHERE lv."deleted_at" IS NULL;

-- Who offers what where.
CREATE VIEW "staff_services_view" AS
SELECT
    l."id"                 AS "location_id",
    l."name"               AS "location_name",
    s."id"                 AS "staff_id",
    s."full_name"          AS "staff_name",
    v."id"                 AS "service_id",
    v."name"               AS "service_name",
    v."duration_minutes"   AS "duration_minutes",
    ss."created_at"        AS "linked_at"
FROM "staff_services" ss
JOIN "locations" l ON l."id" = ss."location_id" AND l."deleted_at" IS NULL
JOIN "staff" s ON s."id" = ss."staff_id" AND s."deleted_at" IS NULL
JOIN "services" v ON v."id" = ss."service_id" AND v."deleted_at" IS NULL
WHERE ss."deleted_at" IS NULL;

-- The freshness of the mirror, as one row (NULLs before the first run): the last successful full
-- sync and its age, and the latest run of any scope with its status.
CREATE VIEW "sync_status_view" AS
WITH last_success AS (
    SELECT "id", "finished_at"
    FROM "sync_runs"
    WHERE "scope" = 'full' AND "status" = 'succeeded' AND "finished_at" IS NOT NULL
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
    lr."error"                                           AS "last_run_error"
FROM (SELECT 1) AS one
LEFT JOIN last_success ls ON true
LEFT JOIN last_run lr ON true;
