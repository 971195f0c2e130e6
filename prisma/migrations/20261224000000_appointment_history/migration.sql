-- History mode: every version of an appointment that the mirror saw, one row per version, valid
-- from the read time of that version (`appointments.read_at`) until the next version's
-- (`valid_to` NULL: the current one). A tombstone is a version (`deleted`). Ids and typed columns
-- only, never `raw`: what MIRROR_CLIENT_DATA removes from the mirror is never kept here.
CREATE TABLE "appointment_history" (
    "appointment_id" BIGINT NOT NULL,
    "valid_from" TIMESTAMPTZ(6) NOT NULL,
    "valid_to" TIMESTAMPTZ(6),
    "status" TEXT,
    "sub_status" TEXT,
    "start_date" TEXT,
    "start_time" INTEGER,
    "end_time" INTEGER,
    "start_at" TIMESTAMPTZ(6),
    "location_id" BIGINT,
    "staff_id" BIGINT,
    "service_id" BIGINT,
    "client_id" BIGINT,
    "content_hash" TEXT NOT NULL,
    "deleted" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "appointment_history_pkey" PRIMARY KEY ("appointment_id", "valid_from")
) WITH (fillfactor = 90);
-- No index beyond the key: each one costs every version written and every one closed, and the
-- views and the as-of query read most of the table anyway. The room left in each page (the fill
-- factor) lets closing a version (`valid_to`, in no index) rewrite it in place, without touching
-- the key's index.

-- The appointments mirrored before this migration: one version each, as of their last read.
INSERT INTO "appointment_history" ("appointment_id", "valid_from", "status", "sub_status",
    "start_date", "start_time", "end_time", "start_at", "location_id", "staff_id", "service_id",
    "client_id", "content_hash", "deleted")
SELECT "id", "read_at", "status", "sub_status", "start_date", "start_time", "end_time", "start_at",
    "location_id", "staff_id", "service_id", "client_id", "content_hash", "deleted_at" IS NOT NULL
FROM "appointments";

-- HISTORY_MODE: the writer's connections carry `timetap_sync.history_mode` (src/db/database.ts);
-- `off` writes no version. Unset means on, the default.
CREATE FUNCTION "timetap_history_on"() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT current_setting('timetap_sync.history_mode', true) IS DISTINCT FROM 'off'
$$;

-- Versions are written by triggers on `appointments` (the first ones once per statement, from the
-- rows it inserted; the next ones per changed row): every path that writes appointments (report
-- pages, backfill, webhooks, tombstones) writes their history in the same statement, and so in the
-- same transaction. The write path
-- writes only rows whose content changed, or that were tombstoned or revived, and never for a read
-- older than the stored one (src/db/upsert-statement.ts): an unchanged read adds no version and
-- an older read never one behind the current.
CREATE FUNCTION "appointments_history_inserted"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT "timetap_history_on"() THEN
        RETURN NULL;
    END IF;
    INSERT INTO "appointment_history" AS h ("appointment_id", "valid_from", "status", "sub_status",
        "start_date", "start_time", "end_time", "start_at", "location_id", "staff_id",
        "service_id", "client_id", "content_hash", "deleted")
    SELECT n."id", n."read_at", n."status", n."sub_status", n."start_date", n."start_time",
        n."end_time", n."start_at", n."location_id", n."staff_id", n."service_id", n."client_id",
        n."content_hash", n."deleted_at" IS NOT NULL
    FROM "new_rows" n
    ON CONFLICT ("appointment_id", "valid_from") DO NOTHING;
    RETURN NULL;
END $$;

-- A new version when the content changed or the row was tombstoned or revived (the trigger's
-- WHEN: other updates, such as `start_at` recomputed for a location's new time zone, call
-- nothing); it is valid from the read that produced it. A tombstone that came without a read time
-- of its own (the row's `read_at` unchanged) is dated when it was written. A rewrite by the same
-- read (the client-data policy reducing `raw`) corrects the version in place.
-- Per row, not per statement: each row closes and opens its versions through the key's index,
-- whatever the planner knows. A statement trigger must join its old and new transition tables,
-- which have no index: with 14,500 rows (a location's time zone set after a year's backfill) the
-- planner's nested loop over them ran past the statement timeout.
CREATE FUNCTION "appointments_history_updated"() RETURNS trigger LANGUAGE plpgsql AS $$
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
    WHERE "appointment_id" = NEW."id" AND "valid_to" IS NULL AND "valid_from" < "version_from";
    INSERT INTO "appointment_history" AS h ("appointment_id", "valid_from", "status", "sub_status",
        "start_date", "start_time", "end_time", "start_at", "location_id", "staff_id",
        "service_id", "client_id", "content_hash", "deleted")
    VALUES (NEW."id", "version_from", NEW."status", NEW."sub_status", NEW."start_date",
        NEW."start_time", NEW."end_time", NEW."start_at", NEW."location_id", NEW."staff_id",
        NEW."service_id", NEW."client_id", NEW."content_hash", NEW."deleted_at" IS NOT NULL)
    ON CONFLICT ("appointment_id", "valid_from") DO UPDATE SET
        "status" = excluded."status", "sub_status" = excluded."sub_status",
        "start_date" = excluded."start_date", "start_time" = excluded."start_time",
        "end_time" = excluded."end_time", "start_at" = excluded."start_at",
        "location_id" = excluded."location_id", "staff_id" = excluded."staff_id",
        "service_id" = excluded."service_id", "client_id" = excluded."client_id",
        "content_hash" = excluded."content_hash", "deleted" = excluded."deleted";
    RETURN NULL;
END $$;

CREATE TRIGGER "appointments_history_inserted" AFTER INSERT ON "appointments"
    REFERENCING NEW TABLE AS "new_rows"
    FOR EACH STATEMENT EXECUTE FUNCTION "appointments_history_inserted"();

CREATE TRIGGER "appointments_history_updated" AFTER UPDATE ON "appointments"
    FOR EACH ROW WHEN (NEW."content_hash" IS DISTINCT FROM OLD."content_hash"
        OR (NEW."deleted_at" IS NULL) <> (OLD."deleted_at" IS NULL))
    EXECUTE FUNCTION "appointments_history_updated"();

-- Each change between two consecutive versions of an appointment: one row per column that
-- changed, with its value before and after (as text) and when the mirror read the new version.
-- A tombstone or a revival is a change of `deleted`.
CREATE VIEW "appointment_changes_view" AS
WITH "steps" AS (
    SELECT h.*, lag(h."valid_from") OVER w AS "previous_from",
        lag(h."status") OVER w AS "p_status", lag(h."sub_status") OVER w AS "p_sub_status",
        lag(h."start_date") OVER w AS "p_start_date", lag(h."start_time") OVER w AS "p_start_time",
        lag(h."end_time") OVER w AS "p_end_time", lag(h."start_at") OVER w AS "p_start_at",
        lag(h."location_id") OVER w AS "p_location_id", lag(h."staff_id") OVER w AS "p_staff_id",
        lag(h."service_id") OVER w AS "p_service_id", lag(h."client_id") OVER w AS "p_client_id",
        lag(h."deleted") OVER w AS "p_deleted"
    FROM "appointment_history" h
    WINDOW w AS (PARTITION BY h."appointment_id" ORDER BY h."valid_from")
)
SELECT s."appointment_id", c."column_name", c."from_value", c."to_value", s."valid_from" AS "changed_at"
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

-- How long before its start each cancellation came: the version in which an appointment's status
-- became CANCELLED (one seen cancelled from its first read has no such version: when it was
-- cancelled is unknown), and the hours from that read to the start (negative: after the start).
CREATE VIEW "cancellation_lead_time_view" AS
SELECT h."appointment_id", h."valid_from" AS "cancelled_at", h."start_at", h."location_id",
    h."staff_id", h."service_id",
    round((extract(epoch FROM h."start_at" - h."valid_from") / 3600)::numeric, 2) AS "lead_time_hours"
FROM (
    SELECT h.*, lag(h."status") OVER (PARTITION BY h."appointment_id" ORDER BY h."valid_from") AS "previous_status",
        row_number() OVER (PARTITION BY h."appointment_id" ORDER BY h."valid_from") AS "version"
    FROM "appointment_history" h
) h
WHERE h."status" = 'CANCELLED' AND h."version" > 1 AND h."previous_status" IS DISTINCT FROM 'CANCELLED';
