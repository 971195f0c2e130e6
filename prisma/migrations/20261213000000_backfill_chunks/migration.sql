-- The chunks of appointment history that a backfill read completely: a backfill asked again (or
-- resumed by another worker) does not read them a second time. Scheduled syncs keep only the
-- rolling window fresh; history older than it changes rarely, and `backfill --again` rereads it.
CREATE TABLE "backfill_chunks" (
    "start_date" TEXT NOT NULL,
    "end_date" TEXT NOT NULL,
    "run_id" INTEGER NOT NULL,
    "pages" INTEGER NOT NULL,
    "records" INTEGER NOT NULL,
    "completed_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now(),

    CONSTRAINT "backfill_chunks_pkey" PRIMARY KEY ("start_date", "end_date")
);
