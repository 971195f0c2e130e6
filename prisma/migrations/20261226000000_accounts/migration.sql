-- Several TimeTap accounts in one mirror (TIMETAP_ACCOUNTS_FILE). Every mirror table gains
-- `account`, first in every key: TimeTap's ids are per account, and two accounts may hold the same
-- location id, appointment id or link. Existing rows become the `default` account's (the one made
-- of the TIMETAP_* variables), so a single-account deployment upgrades with `migrate` alone.
--
-- The column keeps `default` as its default: a reporting script that inserts rows of its own,
-- written for one account, goes on working. The program itself always names the account.
--
-- Adding a column with a constant default rewrites no row; the keys and indexes are rebuilt.

-- Entities and clients: (account, id).
ALTER TABLE "locations" ADD COLUMN "account" TEXT NOT NULL DEFAULT 'default';
ALTER TABLE "locations" DROP CONSTRAINT "locations_pkey", ADD CONSTRAINT "locations_pkey" PRIMARY KEY ("account", "id");
DROP INDEX "locations_active_idx";
CREATE INDEX "locations_active_idx" ON "locations" ("account", "id") WHERE "deleted_at" IS NULL;

ALTER TABLE "staff" ADD COLUMN "account" TEXT NOT NULL DEFAULT 'default';
ALTER TABLE "staff" DROP CONSTRAINT "staff_pkey", ADD CONSTRAINT "staff_pkey" PRIMARY KEY ("account", "id");
DROP INDEX "staff_active_idx";
CREATE INDEX "staff_active_idx" ON "staff" ("account", "id") WHERE "deleted_at" IS NULL;

ALTER TABLE "services" ADD COLUMN "account" TEXT NOT NULL DEFAULT 'default';
ALTER TABLE "services" DROP CONSTRAINT "services_pkey", ADD CONSTRAINT "services_pkey" PRIMARY KEY ("account", "id");
DROP INDEX "services_active_idx";
CREATE INDEX "services_active_idx" ON "services" ("account", "id") WHERE "deleted_at" IS NULL;

ALTER TABLE "clients" ADD COLUMN "account" TEXT NOT NULL DEFAULT 'default';
ALTER TABLE "clients" DROP CONSTRAINT "clients_pkey", ADD CONSTRAINT "clients_pkey" PRIMARY KEY ("account", "id");
DROP INDEX "clients_active_idx";
CREATE INDEX "clients_active_idx" ON "clients" ("account", "id") WHERE "deleted_at" IS NULL;

-- Links: (account, location_id, ...).
ALTER TABLE "location_staff" ADD COLUMN "account" TEXT NOT NULL DEFAULT 'default';
ALTER TABLE "location_staff" DROP CONSTRAINT "location_staff_pkey",
    ADD CONSTRAINT "location_staff_pkey" PRIMARY KEY ("account", "location_id", "staff_id");
DROP INDEX "location_staff_staff_id_idx";
CREATE INDEX "location_staff_account_staff_id_idx" ON "location_staff" ("account", "staff_id");

ALTER TABLE "location_services" ADD COLUMN "account" TEXT NOT NULL DEFAULT 'default';
ALTER TABLE "location_services" DROP CONSTRAINT "location_services_pkey",
    ADD CONSTRAINT "location_services_pkey" PRIMARY KEY ("account", "location_id", "service_id");
DROP INDEX "location_services_service_id_idx";
CREATE INDEX "location_services_account_service_id_idx" ON "location_services" ("account", "service_id");

ALTER TABLE "staff_services" ADD COLUMN "account" TEXT NOT NULL DEFAULT 'default';
ALTER TABLE "staff_services" DROP CONSTRAINT "staff_services_pkey",
    ADD CONSTRAINT "staff_services_pkey" PRIMARY KEY ("account", "location_id", "staff_id", "service_id");
DROP INDEX "staff_services_staff_id_idx";
DROP INDEX "staff_services_service_id_idx";
CREATE INDEX "staff_services_account_staff_id_idx" ON "staff_services" ("account", "staff_id");
CREATE INDEX "staff_services_account_service_id_idx" ON "staff_services" ("account", "service_id");

-- Appointments and their history.
ALTER TABLE "appointments" ADD COLUMN "account" TEXT NOT NULL DEFAULT 'default';
ALTER TABLE "appointments" DROP CONSTRAINT "appointments_pkey", ADD CONSTRAINT "appointments_pkey" PRIMARY KEY ("account", "id");
DROP INDEX "appointments_start_date_active_idx";
DROP INDEX "appointments_location_id_start_date_idx";
DROP INDEX "appointments_staff_id_start_date_idx";
DROP INDEX "appointments_client_id_idx";
CREATE INDEX "appointments_start_date_active_idx" ON "appointments" ("account", "start_date") WHERE "deleted_at" IS NULL;
CREATE INDEX "appointments_account_location_id_start_date_idx" ON "appointments" ("account", "location_id", "start_date");
CREATE INDEX "appointments_account_staff_id_start_date_idx" ON "appointments" ("account", "staff_id", "start_date");
CREATE INDEX "appointments_account_client_id_idx" ON "appointments" ("account", "client_id");

ALTER TABLE "appointment_history" ADD COLUMN "account" TEXT NOT NULL DEFAULT 'default';
ALTER TABLE "appointment_history" DROP CONSTRAINT "appointment_history_pkey",
    ADD CONSTRAINT "appointment_history_pkey" PRIMARY KEY ("account", "appointment_id", "valid_from");

-- What the runs keep: a backfill's completed chunks are the account's, and every run names its
-- account (the scope of "one alive run at a time", the freshness view, the delete guard's baseline).
ALTER TABLE "backfill_chunks" ADD COLUMN "account" TEXT NOT NULL DEFAULT 'default';
ALTER TABLE "backfill_chunks" DROP CONSTRAINT "backfill_chunks_pkey",
    ADD CONSTRAINT "backfill_chunks_pkey" PRIMARY KEY ("account", "start_date", "end_date");

ALTER TABLE "sync_runs" ADD COLUMN "account" TEXT NOT NULL DEFAULT 'default';
DROP INDEX "sync_runs_scope_finished_at_id_idx";
CREATE INDEX "sync_runs_account_scope_finished_at_id_idx" ON "sync_runs" ("account", "scope", "finished_at", "id");

-- The triggers join by account too.
CREATE OR REPLACE FUNCTION "locations_time_zone_start_at"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE "appointments" a SET "start_at" = a."local_start" AT TIME ZONE NEW."time_zone"
    WHERE a."account" = NEW."account" AND a."location_id" = NEW."id"
        AND a."start_at" IS DISTINCT FROM (a."local_start" AT TIME ZONE NEW."time_zone");
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION "appointments_history_inserted"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT "timetap_history_on"() THEN
        RETURN NULL;
    END IF;
    INSERT INTO "appointment_history" AS h ("account", "appointment_id", "valid_from", "status",
        "sub_status", "start_date", "start_time", "end_time", "start_at", "location_id", "staff_id",
        "service_id", "client_id", "content_hash", "deleted")
    SELECT n."account", n."id", n."read_at", n."status", n."sub_status", n."start_date",
        n."start_time", n."end_time", n."start_at", n."location_id", n."staff_id", n."service_id",
        n."client_id", n."content_hash", n."deleted_at" IS NOT NULL
    FROM "new_rows" n
    ON CONFLICT ("account", "appointment_id", "valid_from") DO NOTHING;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION "appointments_history_updated"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    "version_from" TIMESTAMPTZ(6);
BEGIN
    IF NOT "timetap_history_on"() THEN
        RETURN NULL;
    END IF;
    "version_from" := CASE
        WHEN (NEW."deleted_at" IS NULL) <> (OLD."deleted_at" IS NULL) AND NEW."read_at" <= OLD."read_at"
            THEN GREATEST(statement_timestamp(), NEW."read_at")
        ELSE NEW."read_at" END;
    UPDATE "appointment_history" SET "valid_to" = "version_from"
    WHERE "account" = NEW."account" AND "appointment_id" = NEW."id" AND "valid_to" IS NULL
        AND "valid_from" < "version_from";
    INSERT INTO "appointment_history" AS h ("account", "appointment_id", "valid_from", "status",
        "sub_status", "start_date", "start_time", "end_time", "start_at", "location_id", "staff_id",
        "service_id", "client_id", "content_hash", "deleted")
    VALUES (NEW."account", NEW."id", "version_from", NEW."status", NEW."sub_status",
        NEW."start_date", NEW."start_time", NEW."end_time", NEW."start_at", NEW."location_id",
        NEW."staff_id", NEW."service_id", NEW."client_id", NEW."content_hash",
        NEW."deleted_at" IS NOT NULL)
    ON CONFLICT ("account", "appointment_id", "valid_from") DO UPDATE SET
        "status" = excluded."status", "sub_status" = excluded."sub_status",
        "start_date" = excluded."start_date", "start_time" = excluded."start_time",
        "end_time" = excluded."end_time", "start_at" = excluded."start_at",
        "location_id" = excluded."location_id", "staff_id" = excluded."staff_id",
        "service_id" = excluded."service_id", "client_id" = excluded."client_id",
        "content_hash" = excluded."content_hash", "deleted" = excluded."deleted";
    RETURN NULL;
END $$;

-- The change feed names the account of the rows that changed: one notification per account a
-- statement touched (the program's statements touch one; a user's may touch several).
CREATE FUNCTION "timetap_sync_notify_account"("account" TEXT, "table_name" TEXT, "changed" BIGINT,
    "ids" BIGINT[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    "head" JSONB;
    "payload" TEXT;
BEGIN
    "head" := jsonb_build_object(
        'account', "account",
        'table', "table_name",
        'run_id', NULLIF(current_setting('timetap_sync.run_id', true), '')::BIGINT);
    IF "ids" IS NOT NULL AND "changed" <= 1000 THEN
        "payload" := ("head" || jsonb_build_object('ids', to_jsonb("ids")))::TEXT;
    END IF;
    IF "payload" IS NULL OR octet_length("payload") >= 8000 THEN
        "payload" := ("head" || jsonb_build_object('count', "changed"))::TEXT;
    END IF;
    PERFORM pg_notify('timetap_sync', "payload");
END $$;

CREATE OR REPLACE FUNCTION "timetap_sync_notify"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    "changed" RECORD;
BEGIN
    IF TG_ARGV[0] = 'id' THEN
        FOR "changed" IN
            SELECT r."account", count(*) AS "n", array_agg(r."id" ORDER BY r."id") AS "ids"
            FROM "changed_rows" r GROUP BY r."account" ORDER BY r."account"
        LOOP
            PERFORM "timetap_sync_notify_account"("changed"."account", TG_TABLE_NAME, "changed"."n",
                "changed"."ids");
        END LOOP;
    ELSE
        FOR "changed" IN
            SELECT r."account", count(*) AS "n" FROM "changed_rows" r GROUP BY r."account" ORDER BY r."account"
        LOOP
            PERFORM "timetap_sync_notify_account"("changed"."account", TG_TABLE_NAME, "changed"."n", NULL);
        END LOOP;
    END IF;
    RETURN NULL;
END $$;

-- The views carry the account at their end (CREATE OR REPLACE VIEW may only add columns there, and
-- so every view and query built on them goes on working), and join within one account.
CREATE OR REPLACE VIEW "location_staff_view" AS
SELECT
    l."id"            AS "location_id",
    l."name"          AS "location_name",
    s."id"            AS "staff_id",
    s."display_name"  AS "staff_name",
    s."email"         AS "staff_email",
    ls."created_at"   AS "linked_at",
    ls."account"      AS "account"
FROM "location_staff" ls
JOIN "locations" l ON l."account" = ls."account" AND l."id" = ls."location_id"
    AND l."deleted_at" IS NULL AND l."inactive_at" IS NULL
JOIN "staff" s ON s."account" = ls."account" AND s."id" = ls."staff_id"
    AND s."deleted_at" IS NULL AND s."inactive_at" IS NULL
WHERE ls."deleted_at" IS NULL;

CREATE OR REPLACE VIEW "location_services_view" AS
SELECT
    l."id"                 AS "location_id",
    l."name"               AS "location_name",
    v."id"                 AS "service_id",
    v."name"               AS "service_name",
    v."duration_minutes"   AS "duration_minutes",
    v."service_type"       AS "service_type",
    lv."created_at"        AS "linked_at",
    lv."account"           AS "account"
FROM "location_services" lv
JOIN "locations" l ON l."account" = lv."account" AND l."id" = lv."location_id"
    AND l."deleted_at" IS NULL AND l."inactive_at" IS NULL
JOIN "services" v ON v."account" = lv."account" AND v."id" = lv."service_id"
    AND v."deleted_at" IS NULL AND v."inactive_at" IS NULL
WHERE lv."deleted_at" IS NULL;

CREATE OR REPLACE VIEW "staff_services_view" AS
SELECT
    l."id"                 AS "location_id",
    l."name"               AS "location_name",
    s."id"                 AS "staff_id",
    s."display_name"       AS "staff_name",
    v."id"                 AS "service_id",
    v."name"               AS "service_name",
    v."duration_minutes"   AS "duration_minutes",
    ss."created_at"        AS "linked_at",
    ss."account"           AS "account"
FROM "staff_services" ss
JOIN "locations" l ON l."account" = ss."account" AND l."id" = ss."location_id"
    AND l."deleted_at" IS NULL AND l."inactive_at" IS NULL
JOIN "staff" s ON s."account" = ss."account" AND s."id" = ss."staff_id"
    AND s."deleted_at" IS NULL AND s."inactive_at" IS NULL
JOIN "services" v ON v."account" = ss."account" AND v."id" = ss."service_id"
    AND v."deleted_at" IS NULL AND v."inactive_at" IS NULL
WHERE ss."deleted_at" IS NULL;

-- One row per account that has runs (one row of NULLs while there is none, as before).
CREATE OR REPLACE VIEW "sync_status_view" AS
WITH accounts AS (
    SELECT DISTINCT "account" FROM "sync_runs"
    UNION ALL
    SELECT 'default' WHERE NOT EXISTS (SELECT 1 FROM "sync_runs")
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
    lls."finished_at"                                    AS "last_location_success_at",
    a."account"                                          AS "account"
FROM accounts a
LEFT JOIN LATERAL (
    SELECT "id", "finished_at" FROM "sync_runs" r
    WHERE r."account" = a."account" AND "scope" = 'full' AND "status" = 'succeeded' AND "finished_at" IS NOT NULL
    ORDER BY "finished_at" DESC, "id" DESC LIMIT 1
) ls ON true
LEFT JOIN LATERAL (
    SELECT "id", "location_id", "finished_at" FROM "sync_runs" r
    WHERE r."account" = a."account" AND "scope" = 'location' AND "status" = 'succeeded'
        AND "finished_at" IS NOT NULL
    ORDER BY "finished_at" DESC, "id" DESC LIMIT 1
) lls ON true
LEFT JOIN LATERAL (
    SELECT "id", "scope", "location_id", "status", "started_at", "finished_at", "error" FROM "sync_runs" r
    WHERE r."account" = a."account"
    ORDER BY "started_at" DESC, "id" DESC LIMIT 1
) lr ON true;

CREATE OR REPLACE VIEW "appointments_view" AS
SELECT
    a."id"                                                   AS "appointment_id",
    a."start_date"                                           AS "start_date",
    a."start_time"                                           AS "start_time",
    a."end_date"                                             AS "end_date",
    a."end_time"                                             AS "end_time",
    a."local_start"                                          AS "local_start",
    a."local_start" + make_interval(mins => a."duration_minutes") AS "local_end",
    a."duration_minutes"                                     AS "duration_minutes",
    a."status"                                               AS "status",
    a."sub_status"                                           AS "sub_status",
    a."location_id"                                          AS "location_id",
    l."name"                                                 AS "location_name",
    a."staff_id"                                             AS "staff_id",
    s."display_name"                                         AS "staff_name",
    a."service_id"                                           AS "service_id",
    v."name"                                                 AS "service_name",
    a."client_id"                                            AS "client_id",
    c."display_name"                                         AS "client_name",
    a."recurring_appointment_id"                             AS "recurring_appointment_id",
    a."start_at"                                             AS "start_at",
    l."time_zone"                                            AS "time_zone",
    a."account"                                              AS "account"
FROM "appointments" a
LEFT JOIN "locations" l ON l."account" = a."account" AND l."id" = a."location_id"
    AND l."deleted_at" IS NULL AND l."inactive_at" IS NULL
LEFT JOIN "staff" s ON s."account" = a."account" AND s."id" = a."staff_id"
    AND s."deleted_at" IS NULL AND s."inactive_at" IS NULL
LEFT JOIN "services" v ON v."account" = a."account" AND v."id" = a."service_id"
    AND v."deleted_at" IS NULL AND v."inactive_at" IS NULL
LEFT JOIN "clients" c ON c."account" = a."account" AND c."id" = a."client_id"
    AND c."deleted_at" IS NULL AND c."inactive_at" IS NULL
WHERE a."deleted_at" IS NULL AND a."kind" = 'appointment';

CREATE OR REPLACE VIEW "appointment_daily_view" AS
SELECT
    a."start_date"                                                           AS "start_date",
    a."location_id"                                                          AS "location_id",
    l."name"                                                                 AS "location_name",
    a."staff_id"                                                             AS "staff_id",
    s."display_name"                                                         AS "staff_name",
    a."service_id"                                                           AS "service_id",
    v."name"                                                                 AS "service_name",
    count(*) FILTER (WHERE a."status" IS DISTINCT FROM 'CANCELLED')::int     AS "booked",
    count(*) FILTER (WHERE a."status" = 'COMPLETED')::int                    AS "completed",
    count(*) FILTER (WHERE a."status" = 'CANCELLED')::int                    AS "cancelled",
    count(*) FILTER (WHERE a."status" = 'NO_SHOW')::int                      AS "no_show",
    COALESCE(sum(a."duration_minutes") FILTER (WHERE a."status" IS DISTINCT FROM 'CANCELLED'), 0)::int
                                                                             AS "booked_minutes",
    a."account"                                                              AS "account"
FROM "appointments" a
LEFT JOIN "locations" l ON l."account" = a."account" AND l."id" = a."location_id"
    AND l."deleted_at" IS NULL AND l."inactive_at" IS NULL
LEFT JOIN "staff" s ON s."account" = a."account" AND s."id" = a."staff_id"
    AND s."deleted_at" IS NULL AND s."inactive_at" IS NULL
LEFT JOIN "services" v ON v."account" = a."account" AND v."id" = a."service_id"
    AND v."deleted_at" IS NULL AND v."inactive_at" IS NULL
WHERE a."deleted_at" IS NULL AND a."kind" = 'appointment'
GROUP BY a."account", a."start_date", a."location_id", l."name", a."staff_id", s."display_name",
    a."service_id", v."name";

CREATE OR REPLACE VIEW "client_visits_view" AS
WITH visits AS (
    SELECT
        "account",
        "client_id",
        min("start_date") FILTER (WHERE "status" = 'COMPLETED')             AS "first_visit",
        max("start_date") FILTER (WHERE "status" = 'COMPLETED')             AS "last_visit",
        count(*) FILTER (WHERE "status" = 'COMPLETED')::int                 AS "visits",
        count(*) FILTER (WHERE "status" = 'NO_SHOW')::int                   AS "no_shows",
        count(*) FILTER (WHERE "status" IN ('OPEN', 'PENDING')
            AND "start_date" >= to_char(current_date, 'YYYY-MM-DD'))::int   AS "upcoming"
    FROM "appointments"
    WHERE "deleted_at" IS NULL AND "client_id" IS NOT NULL AND "kind" = 'appointment'
    GROUP BY "account", "client_id"
)
SELECT
    COALESCE(c."id", v."client_id")  AS "client_id",
    c."display_name"                 AS "client_name",
    v."first_visit"                  AS "first_visit",
    v."last_visit"                   AS "last_visit",
    COALESCE(v."visits", 0)          AS "visits",
    COALESCE(v."no_shows", 0)        AS "no_shows",
    COALESCE(v."upcoming", 0)        AS "upcoming",
    COALESCE(c."account", v."account") AS "account"
FROM visits v
FULL JOIN "clients" c ON c."account" = v."account" AND c."id" = v."client_id"
WHERE c."id" IS NULL OR (c."deleted_at" IS NULL AND c."inactive_at" IS NULL);

CREATE OR REPLACE VIEW "appointment_changes_view" AS
WITH "steps" AS (
    SELECT h.*, lag(h."valid_from") OVER w AS "previous_from",
        lag(h."status") OVER w AS "p_status", lag(h."sub_status") OVER w AS "p_sub_status",
        lag(h."start_date") OVER w AS "p_start_date", lag(h."start_time") OVER w AS "p_start_time",
        lag(h."end_time") OVER w AS "p_end_time", lag(h."start_at") OVER w AS "p_start_at",
        lag(h."location_id") OVER w AS "p_location_id", lag(h."staff_id") OVER w AS "p_staff_id",
        lag(h."service_id") OVER w AS "p_service_id", lag(h."client_id") OVER w AS "p_client_id",
        lag(h."deleted") OVER w AS "p_deleted"
    FROM "appointment_history" h
    WINDOW w AS (PARTITION BY h."account", h."appointment_id" ORDER BY h."valid_from")
)
SELECT s."appointment_id", c."column_name", c."from_value", c."to_value", s."valid_from" AS "changed_at",
    s."account"
FROM "steps" s
CROSS JOIN LATERAL (VALUES
    ('status', s."p_status", s."status"),
    ('sub_status', s."p_sub_status", s."sub_status"),
    ('start_date', s."p_start_date", s."start_date"),
    ('start_time', s."p_start_time"::text, s."start_time"::text),
    ('end_time', s."p_end_time"::text, s."end_time"::text),
    ('start_at', s."p_start_at"::text, s."start_at"::text),
    ('location_id', s."p_location_id"::text, s."location_id"::text),
    ('staff_id', s."p_staff_id"::text, s."staff_id"::text),
    ('service_id', s."p_service_id"::text, s."service_id"::text),
    ('client_id', s."p_client_id"::text, s."client_id"::text),
    ('deleted', s."p_deleted"::text, s."deleted"::text)
) AS c("column_name", "from_value", "to_value")
WHERE s."previous_from" IS NOT NULL AND c."from_value" IS DISTINCT FROM c."to_value";

CREATE OR REPLACE VIEW "cancellation_lead_time_view" AS
SELECT h."appointment_id", h."valid_from" AS "cancelled_at", h."start_at", h."location_id",
    h."staff_id", h."service_id",
    round((extract(epoch FROM h."start_at" - h."valid_from") / 3600)::numeric, 2) AS "lead_time_hours",
    h."account"
FROM (
    SELECT h.*,
        lag(h."status") OVER (PARTITION BY h."account", h."appointment_id" ORDER BY h."valid_from") AS "previous_status",
        row_number() OVER (PARTITION BY h."account", h."appointment_id" ORDER BY h."valid_from") AS "version"
    FROM "appointment_history" h
) h
WHERE h."status" = 'CANCELLED' AND h."version" > 1 AND h."previous_status" IS DISTINCT FROM 'CANCELLED';

-- The freshness view read every run as the default account's: now each run's own.
CREATE OR REPLACE VIEW "mirror_freshness_view" AS
WITH accounts AS (
    -- The accounts that have runs: one that never ran has no freshness to tell.
    SELECT DISTINCT "account" FROM "sync_runs"
), runs AS NOT MATERIALIZED (
    SELECT r.* FROM "sync_runs" r
), chunks AS NOT MATERIALIZED (
    SELECT c.* FROM "backfill_chunks" c
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
