-- Objects as sparse as TimeTap's documented examples, and lists that omit objects which still exist.

-- TimeTap's documented staff object carries no name at all (only userName and email): the name a
-- report shows is the best that exists. Computed by the database, so every writer and every
-- existing row agree (`concat_ws` is not IMMUTABLE, hence the `||`).
ALTER TABLE "staff" ADD COLUMN "display_name" TEXT GENERATED ALWAYS AS (
    COALESCE(
        NULLIF(btrim("full_name"), ''),
        NULLIF(btrim(COALESCE("first_name", '') || ' ' || COALESCE("last_name", '')), ''),
        NULLIF(btrim("user_name"), ''),
        NULLIF(btrim("email"), '')
    )
) STORED;

-- Set when the account-wide list no longer shows an object that its own URL still returns
-- (TimeTap's lists may hide inactive or private records): kept, not deleted, and left out of the
-- views. Cleared when a list shows it again.
ALTER TABLE "locations" ADD COLUMN "inactive_at" TIMESTAMPTZ(6);
ALTER TABLE "staff" ADD COLUMN "inactive_at" TIMESTAMPTZ(6);
ALTER TABLE "services" ADD COLUMN "inactive_at" TIMESTAMPTZ(6);

-- Per table, the active rows when a full sync ended: the mass-delete guard's baseline is the
-- largest of the last few successful runs, so that repeated bad answers cannot erode it.
ALTER TABLE "sync_runs" ADD COLUMN "active_rows" JSONB;

CREATE OR REPLACE VIEW "location_staff_view" AS
SELECT
    l."id"            AS "location_id",
    l."name"          AS "location_name",
    s."id"            AS "staff_id",
    s."display_name"  AS "staff_name",
    s."email"         AS "staff_email",
    ls."created_at"   AS "linked_at"
FROM "location_staff" ls
JOIN "locations" l ON l."id" = ls."location_id" AND l."deleted_at" IS NULL AND l."inactive_at" IS NULL
JOIN "staff" s ON s."id" = ls."staff_id" AND s."deleted_at" IS NULL AND s."inactive_at" IS NULL
WHERE ls."deleted_at" IS NULL;

CREATE OR REPLACE VIEW "location_services_view" AS
SELECT
    l."id"                 AS "location_id",
    l."name"               AS "location_name",
    v."id"                 AS "service_id",
    v."name"               AS "service_name",
    v."duration_minutes"   AS "duration_minutes",
    v."service_type"       AS "service_type",
    lv."created_at"        AS "linked_at"
FROM "location_services" lv
JOIN "locations" l ON l."id" = lv."location_id" AND l."deleted_at" IS NULL AND l."inactive_at" IS NULL
JOIN "services" v ON v."id" = lv."service_id" AND v."deleted_at" IS NULL AND v."inactive_at" IS NULL
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
    ss."created_at"        AS "linked_at"
FROM "staff_services" ss
JOIN "locations" l ON l."id" = ss."location_id" AND l."deleted_at" IS NULL AND l."inactive_at" IS NULL
JOIN "staff" s ON s."id" = ss."staff_id" AND s."deleted_at" IS NULL AND s."inactive_at" IS NULL
JOIN "services" v ON v."id" = ss."service_id" AND v."deleted_at" IS NULL AND v."inactive_at" IS NULL
WHERE ss."deleted_at" IS NULL;
