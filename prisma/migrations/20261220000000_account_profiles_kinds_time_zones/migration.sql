-- What this program learned of each TimeTap account's API, per account (`default` for the one
-- account of the TIMETAP_* variables): which pair of report endpoints answers its appointment
-- reports (`reportWithCount`, or `report` with `reportCount`), and what the last `doctor` found.
CREATE TABLE "account_profiles" (
    "account" TEXT NOT NULL,
    "report_endpoint" TEXT,
    "report_endpoint_at" TIMESTAMPTZ(6),
    "doctor" JSONB,
    "doctor_at" TIMESTAMPTZ(6),

    CONSTRAINT "account_profiles_pkey" PRIMARY KEY ("account")
);

-- Entries of a report that are not client bookings: `appointments.kind` is `appointment` (a
-- client booking), `class`, `time_off` or `other`, read from what the object carries
-- (src/timetap/appointment-kind.ts). The reporting views count client bookings only.
ALTER TABLE "appointments" ADD COLUMN "kind" TEXT NOT NULL DEFAULT 'appointment';

-- The rows mirrored before this migration, by the same rules (in SQL, once).
UPDATE "appointments" a SET "kind" = k."kind"
FROM (
    SELECT "id", CASE
        WHEN "type" ~* 'time.?off|personal|block|break|vacation|unavailab' THEN 'time_off'
        WHEN "type" ~* 'class|group' THEN 'class'
        WHEN "type" ~* 'appointment|booking' THEN 'appointment'
        WHEN "raw"->'timeOff' = 'true' OR "raw"->'isTimeOff' = 'true' THEN 'time_off'
        WHEN "raw"->'isClass' = 'true' THEN 'class'
        WHEN COALESCE("raw"->>'classScheduleId', "raw"->>'classId', '') <> ''
            OR "raw"->'reason'->>'reasonType' = 'CLASS' THEN 'class'
        WHEN "raw"->'reason'->>'reasonType' = 'PERSONAL' THEN 'time_off'
        WHEN COALESCE("raw"->'client'->>'clientId', "raw"->>'clientId', '') <> '' THEN 'appointment'
        ELSE 'other'
    END AS "kind"
    FROM (
        SELECT "id", "raw", (
            SELECT "raw"->>f
            FROM unnest(ARRAY['appointmentType', 'type', 'objectType', 'calendarType', 'eventType'])
                WITH ORDINALITY AS n(f, i)
            WHERE jsonb_typeof("raw"->f) = 'string' ORDER BY i LIMIT 1
        ) AS "type"
        FROM "appointments"
    ) typed
) k
WHERE a."id" = k."id" AND k."kind" <> 'appointment';

-- Typed columns hold only valid values: a date that does not exist (2026-02-30) or a time past
-- :59 is NULL there (`raw` keeps it), for the rows mirrored before as for the new ones.
CREATE FUNCTION pg_temp.is_date(text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    RETURN $1 ~ '^\d{4}-\d{2}-\d{2}$' AND $1::date IS NOT NULL;
EXCEPTION WHEN OTHERS THEN
    RETURN FALSE;
END $$;
UPDATE "appointments" SET "start_date" = NULL WHERE "start_date" IS NOT NULL AND NOT pg_temp.is_date("start_date");
UPDATE "appointments" SET "end_date" = NULL WHERE "end_date" IS NOT NULL AND NOT pg_temp.is_date("end_date");
UPDATE "appointments" SET "start_time" = NULL WHERE "start_time" % 100 >= 60;
UPDATE "appointments" SET "end_time" = NULL WHERE "end_time" % 100 >= 60;

-- Time zones. A location's `time_zone` is an IANA name (legacy ones such as US/Pacific included)
-- from its `timeZone` object or its `timeZoneCode`, and only one this Postgres knows: any other
-- name is stored as NULL (the trigger below), so that converting with it can never fail.
CREATE FUNCTION "timetap_time_zone"(name TEXT) RETURNS TEXT LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF name IS NULL OR name !~ '^[A-Za-z]+(/[A-Za-z0-9_+-]+)+$' THEN
        RETURN NULL;
    END IF;
    PERFORM now() AT TIME ZONE name;
    RETURN name;
EXCEPTION WHEN invalid_parameter_value THEN
    RETURN NULL;
END $$;

ALTER TABLE "locations" ADD COLUMN "time_zone" TEXT;

CREATE FUNCTION "locations_known_time_zone"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW."time_zone" := "timetap_time_zone"(NEW."time_zone");
    RETURN NEW;
END $$;

CREATE TRIGGER "locations_known_time_zone" BEFORE INSERT OR UPDATE OF "time_zone" ON "locations"
    FOR EACH ROW EXECUTE FUNCTION "locations_known_time_zone"();

UPDATE "locations" SET "time_zone" = COALESCE(
    "timetap_time_zone"(btrim(CASE jsonb_typeof("raw"->'timeZone')
        WHEN 'string' THEN "raw"->>'timeZone' WHEN 'object' THEN "raw"->'timeZone'->>'timeZoneCode' END)),
    "timetap_time_zone"(btrim(CASE jsonb_typeof("raw"->'timeZoneCode')
        WHEN 'string' THEN "raw"->>'timeZoneCode' WHEN 'object' THEN "raw"->'timeZoneCode'->>'timeZoneCode' END)));

-- `start_at`: the local start (`local_start`, the location's wall clock) read in the location's
-- zone; NULL while either is unknown. Written with each appointment (src/db/appointments.ts), and
-- recomputed here when a location's zone is set or changes.
ALTER TABLE "appointments" ADD COLUMN "start_at" TIMESTAMPTZ(6);

UPDATE "appointments" a SET "start_at" = a."local_start" AT TIME ZONE l."time_zone"
FROM "locations" l
WHERE l."id" = a."location_id" AND l."time_zone" IS NOT NULL AND a."local_start" IS NOT NULL;

CREATE FUNCTION "locations_time_zone_start_at"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE "appointments" a SET "start_at" = a."local_start" AT TIME ZONE NEW."time_zone"
    WHERE a."location_id" = NEW."id"
        AND a."start_at" IS DISTINCT FROM (a."local_start" AT TIME ZONE NEW."time_zone");
    RETURN NULL;
END $$;

CREATE TRIGGER "locations_time_zone_changed" AFTER UPDATE OF "time_zone" ON "locations"
    FOR EACH ROW WHEN (OLD."time_zone" IS DISTINCT FROM NEW."time_zone")
    EXECUTE FUNCTION "locations_time_zone_start_at"();

CREATE TRIGGER "locations_time_zone_set" AFTER INSERT ON "locations"
    FOR EACH ROW WHEN (NEW."time_zone" IS NOT NULL)
    EXECUTE FUNCTION "locations_time_zone_start_at"();

-- The reporting views count client bookings only. appointments_view lists them, and gains
-- `start_at` and the location's `time_zone` at its end (CREATE OR REPLACE VIEW may only add
-- columns there).
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
    l."time_zone"                                            AS "time_zone"
FROM "appointments" a
LEFT JOIN "locations" l ON l."id" = a."location_id" AND l."deleted_at" IS NULL AND l."inactive_at" IS NULL
LEFT JOIN "staff" s ON s."id" = a."staff_id" AND s."deleted_at" IS NULL AND s."inactive_at" IS NULL
LEFT JOIN "services" v ON v."id" = a."service_id" AND v."deleted_at" IS NULL AND v."inactive_at" IS NULL
LEFT JOIN "clients" c ON c."id" = a."client_id" AND c."deleted_at" IS NULL AND c."inactive_at" IS NULL
WHERE a."deleted_at" IS NULL AND a."kind" = 'appointment';

-- Per day, location, staff member and service: what was booked (all but CANCELLED), completed,
-- cancelled, not shown, and the minutes booked (the duration of everything not cancelled).
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
                                                                             AS "booked_minutes"
FROM "appointments" a
LEFT JOIN "locations" l ON l."id" = a."location_id" AND l."deleted_at" IS NULL AND l."inactive_at" IS NULL
LEFT JOIN "staff" s ON s."id" = a."staff_id" AND s."deleted_at" IS NULL AND s."inactive_at" IS NULL
LEFT JOIN "services" v ON v."id" = a."service_id" AND v."deleted_at" IS NULL AND v."inactive_at" IS NULL
WHERE a."deleted_at" IS NULL AND a."kind" = 'appointment'
GROUP BY a."start_date", a."location_id", l."name", a."staff_id", s."display_name", a."service_id", v."name";

-- Per client (every active client, and every client id the active appointments name): the first
-- and last day of a COMPLETED appointment, how many, the no-shows, and the OPEN or PENDING
-- appointments from today on. A tombstoned or inactive client is left out.
CREATE OR REPLACE VIEW "client_visits_view" AS
WITH visits AS (
    SELECT
        "client_id",
        min("start_date") FILTER (WHERE "status" = 'COMPLETED')             AS "first_visit",
        max("start_date") FILTER (WHERE "status" = 'COMPLETED')             AS "last_visit",
        count(*) FILTER (WHERE "status" = 'COMPLETED')::int                 AS "visits",
        count(*) FILTER (WHERE "status" = 'NO_SHOW')::int                   AS "no_shows",
        count(*) FILTER (WHERE "status" IN ('OPEN', 'PENDING')
            AND "start_date" >= to_char(current_date, 'YYYY-MM-DD'))::int   AS "upcoming"
    FROM "appointments"
    WHERE "deleted_at" IS NULL AND "client_id" IS NOT NULL AND "kind" = 'appointment'
    GROUP BY "client_id"
)
SELECT
    COALESCE(c."id", v."client_id")  AS "client_id",
    c."display_name"                 AS "client_name",
    v."first_visit"                  AS "first_visit",
    v."last_visit"                   AS "last_visit",
    COALESCE(v."visits", 0)          AS "visits",
    COALESCE(v."no_shows", 0)        AS "no_shows",
    COALESCE(v."upcoming", 0)        AS "upcoming"
FROM visits v
FULL JOIN "clients" c ON c."id" = v."client_id"
WHERE c."id" IS NULL OR (c."deleted_at" IS NULL AND c."inactive_at" IS NULL);
