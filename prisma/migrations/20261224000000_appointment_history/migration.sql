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
);

-- The as-of query and the report's last 30 days read versions by time.
CREATE INDEX "appointment_history_valid_from_idx" ON "appointment_history"("valid_from");

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

-- Versions are written by triggers, once per statement over the rows it wrote (transition
-- tables): every path that writes appointments (report pages, backfill, webhooks, tombstones)
-- writes their history in the same statement, and so in the same transaction. The write path
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

-- A new version when the content changed or the row was tombstoned or revived; it is valid from
-- the read that produced it. A tombstone that came without a read time of its own (the row's
-- `read_at` unchanged) is dated when it was written. A rewrite by the same read (the client-data
-- policy reducing `raw`) corrects the version in place.
CREATE FUNCTION "appointments_history_updated"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT "timetap_history_on"() THEN
        RETURN NULL;
    END IF;
    WITH "versions" AS (
        SELECT n."id", n."status", n."sub_status", n."start_date", n."start_time", n."end_time",
            n."start_at", n."location_id", n."staff_id", n."service_id", n."client_id",
            n."content_hash", n."deleted_at", CASE
            WHEN (n."deleted_at" IS NULL) <> (o."deleted_at" IS NULL) AND n."read_at" <= o."read_at"
                THEN GREATEST(statement_timestamp(), n."read_at")
            ELSE n."read_at" END AS "valid_from"
        FROM "new_rows" n JOIN "old_rows" o ON o."id" = n."id"
        WHERE n."content_hash" IS DISTINCT FROM o."content_hash"
            OR (n."deleted_at" IS NULL) <> (o."deleted_at" IS NULL)
    ), "closed" AS (
        UPDATE "appointment_history" h SET "valid_to" = v."valid_from"
        FROM "versions" v
        WHERE h."appointment_id" = v."id" AND h."valid_to" IS NULL AND h."valid_from" < v."valid_from"
    )
    INSERT INTO "appointment_history" AS h ("appointment_id", "valid_from", "status", "sub_status",
        "start_date", "start_time", "end_time", "start_at", "location_id", "staff_id",
        "service_id", "client_id", "content_hash", "deleted")
    SELECT v."id", v."valid_from", v."status", v."sub_status", v."start_date", v."start_time",
        v."end_time", v."start_at", v."location_id", v."staff_id", v."service_id", v."client_id",
        v."content_hash", v."deleted_at" IS NOT NULL
    FROM "versions" v
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
    REFERENCING OLD TABLE AS "old_rows" NEW TABLE AS "new_rows"
    FOR EACH STATEMENT EXECUTE FUNCTION "appointments_history_updated"();
