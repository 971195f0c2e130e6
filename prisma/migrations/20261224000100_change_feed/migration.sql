-- The change feed: every statement that changes a mirror table notifies the channel
-- `timetap_sync` from inside its own transaction, so that a listener hears of the change when it
-- commits and never of one rolled back. The payload is JSON: {"account", "table", "run_id",
-- "ids"} with the changed rows' ids (tables keyed by `id`, at most 1000 of them), else
-- {"account", "table", "run_id", "count"}; always under Postgres's 8000-byte limit. A statement
-- that changes nothing (the write path writes only rows whose content changed) sends nothing.
-- `account` and `run_id` come from the session settings `timetap_sync.account` (unset: the one
-- account, `default`) and `timetap_sync.run_id` (unset: null).
CREATE FUNCTION "timetap_sync_notify"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    "changed" BIGINT;
    "ids" BIGINT[];
    "head" JSONB;
    "payload" TEXT;
BEGIN
    IF TG_ARGV[0] = 'id' THEN
        SELECT count(*), array_agg(r."id" ORDER BY r."id") INTO "changed", "ids" FROM "changed_rows" r;
    ELSE
        SELECT count(*) INTO "changed" FROM "changed_rows";
    END IF;
    IF "changed" = 0 THEN
        RETURN NULL;
    END IF;
    "head" := jsonb_build_object(
        'account', COALESCE(NULLIF(current_setting('timetap_sync.account', true), ''), 'default'),
        'table', TG_TABLE_NAME,
        'run_id', NULLIF(current_setting('timetap_sync.run_id', true), '')::BIGINT);
    IF "ids" IS NOT NULL AND "changed" <= 1000 THEN
        "payload" := ("head" || jsonb_build_object('ids', to_jsonb("ids")))::TEXT;
    END IF;
    IF "payload" IS NULL OR octet_length("payload") >= 8000 THEN
        "payload" := ("head" || jsonb_build_object('count', "changed"))::TEXT;
    END IF;
    PERFORM pg_notify('timetap_sync', "payload");
    RETURN NULL;
END $$;

-- Per table and kind of write (a trigger with a transition table serves one event only).
DO $$
DECLARE
    "t" RECORD;
    "event" TEXT;
BEGIN
    FOR "t" IN SELECT * FROM (VALUES
        ('locations', 'id'), ('staff', 'id'), ('services', 'id'), ('clients', 'id'),
        ('appointments', 'id'), ('location_staff', 'count'), ('location_services', 'count'),
        ('staff_services', 'count')) AS v("name", "key")
    LOOP
        FOREACH "event" IN ARRAY ARRAY['insert', 'update', 'delete'] LOOP
            EXECUTE format(
                'CREATE TRIGGER %I AFTER %s ON %I REFERENCING %s TABLE AS "changed_rows" '
                'FOR EACH STATEMENT EXECUTE FUNCTION "timetap_sync_notify"(%L)',
                "t"."name" || '_notify_' || "event", upper("event"), "t"."name",
                CASE "event" WHEN 'delete' THEN 'OLD' ELSE 'NEW' END, "t"."key");
        END LOOP;
    END LOOP;
END $$;
