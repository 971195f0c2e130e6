-- Clients and appointments, for the fuller mirror.
--
-- Clients are personal data: MIRROR_CLIENT_DATA decides how much of them is kept (`pseudonymous`:
-- ids and `email_hash`, a keyed HMAC of the address, also inside `raw`; `none`: ids only).
-- Appointments keep their times as TimeTap sends them (`start_date` text `YYYY-MM-DD`,
-- `start_time` integer HHmm) beside typed `local_start` (the location's wall clock, no time zone)
-- and `duration_minutes`; `read_at` is when TimeTap was read, so that an older read never
-- overwrites a newer one. No foreign keys, as for the links: ids as TimeTap sends them.

-- CreateTable
CREATE TABLE "clients" (
    "id" BIGINT NOT NULL,
    "business_id" BIGINT,
    "first_name" TEXT,
    "last_name" TEXT,
    -- The name a report shows, computed by the database like staff.display_name (`||`, because
    -- concat_ws is not IMMUTABLE): first + last name, else the e-mail address.
    "display_name" TEXT GENERATED ALWAYS AS (
        COALESCE(
            NULLIF(btrim(COALESCE("first_name", '') || ' ' || COALESCE("last_name", '')), ''),
            NULLIF(btrim("email"), '')
        )
    ) STORED,
    "email" TEXT,
    "email_hash" TEXT,
    "phone" TEXT,
    "city" TEXT,
    "raw" JSONB NOT NULL,
    "content_hash" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(6),
    "inactive_at" TIMESTAMPTZ(6),

    CONSTRAINT "clients_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "appointments" (
    "id" BIGINT NOT NULL,
    "business_id" BIGINT,
    "location_id" BIGINT,
    "staff_id" BIGINT,
    "service_id" BIGINT,
    "client_id" BIGINT,
    "status" TEXT,
    "sub_status" TEXT,
    "start_date" TEXT,
    "end_date" TEXT,
    "start_time" INTEGER,
    "end_time" INTEGER,
    "local_start" TIMESTAMP(3),
    "duration_minutes" INTEGER,
    "recurring_appointment_id" BIGINT,
    "raw" JSONB NOT NULL,
    "content_hash" TEXT NOT NULL,
    "read_at" TIMESTAMPTZ(6) NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(6),

    CONSTRAINT "appointments_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "clients_active_idx" ON "clients"("id") WHERE deleted_at IS NULL;

-- CreateIndex
CREATE INDEX "appointments_start_date_active_idx" ON "appointments"("start_date") WHERE deleted_at IS NULL;

-- CreateIndex
CREATE INDEX "appointments_location_id_start_date_idx" ON "appointments"("location_id", "start_date");

-- CreateIndex
CREATE INDEX "appointments_staff_id_start_date_idx" ON "appointments"("staff_id", "start_date");

-- CreateIndex
CREATE INDEX "appointments_client_id_idx" ON "appointments"("client_id");

-- Reporting views, active rows only: a tombstoned appointment is left out; a location, staff
-- member, service or client that is tombstoned or inactive gives no name (the appointment stays,
-- its id columns too). Dates stay text `YYYY-MM-DD` (they sort and compare as dates); "today" is
-- the database session's current_date.

-- One row per appointment, with names.
CREATE VIEW "appointments_view" AS
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
    a."recurring_appointment_id"                             AS "recurring_appointment_id"
FROM "appointments" a
LEFT JOIN "locations" l ON l."id" = a."location_id" AND l."deleted_at" IS NULL AND l."inactive_at" IS NULL
LEFT JOIN "staff" s ON s."id" = a."staff_id" AND s."deleted_at" IS NULL AND s."inactive_at" IS NULL
LEFT JOIN "services" v ON v."id" = a."service_id" AND v."deleted_at" IS NULL AND v."inactive_at" IS NULL
LEFT JOIN "clients" c ON c."id" = a."client_id" AND c."deleted_at" IS NULL AND c."inactive_at" IS NULL
WHERE a."deleted_at" IS NULL;

-- Per day, location, staff member and service: what was booked (all but CANCELLED), completed,
-- cancelled, not shown, and the minutes booked (the duration of everything not cancelled).
CREATE VIEW "appointment_daily_view" AS
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
WHERE a."deleted_at" IS NULL
GROUP BY a."start_date", a."location_id", l."name", a."staff_id", s."display_name", a."service_id", v."name";

-- Per client (every active client, and every client id the active appointments name): the first
-- and last day of a COMPLETED appointment, how many, the no-shows, and the OPEN or PENDING
-- appointments from today on. A tombstoned or inactive client is left out.
CREATE VIEW "client_visits_view" AS
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
    WHERE "deleted_at" IS NULL AND "client_id" IS NOT NULL
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
