-- CreateTable
CREATE TABLE "locations" (
    "id" BIGINT NOT NULL,
    "business_id" BIGINT,
    "name" TEXT,
    "location_type" TEXT,
    "raw" JSONB NOT NULL,
    "content_hash" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(6),

    CONSTRAINT "locations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "staff" (
    "id" BIGINT NOT NULL,
    "business_id" BIGINT,
    "user_name" TEXT,
    "email" TEXT,
    "first_name" TEXT,
    "last_name" TEXT,
    "full_name" TEXT,
    "time_zone" TEXT,
    "raw" JSONB NOT NULL,
    "content_hash" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(6),

    CONSTRAINT "staff_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "services" (
    "id" BIGINT NOT NULL,
    "business_id" BIGINT,
    "name" TEXT,
    "duration_minutes" INTEGER,
    "service_type" TEXT,
    "raw" JSONB NOT NULL,
    "content_hash" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(6),

    CONSTRAINT "services_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "location_staff" (
    "location_id" BIGINT NOT NULL,
    "staff_id" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(6),

    CONSTRAINT "location_staff_pkey" PRIMARY KEY ("location_id","staff_id")
);

-- CreateTable
CREATE TABLE "location_services" (
    "location_id" BIGINT NOT NULL,
    "service_id" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(6),

    CONSTRAINT "location_services_pkey" PRIMARY KEY ("location_id","service_id")
);

-- CreateTable
CREATE TABLE "staff_services" (
    "location_id" BIGINT NOT NULL,
    "staff_id" BIGINT NOT NULL,
    "service_id" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(6),

    CONSTRAINT "staff_services_pkey" PRIMARY KEY ("location_id","staff_id","service_id")
);

-- CreateTable
CREATE TABLE "sync_runs" (
    "id" SERIAL NOT NULL,
    "scope" TEXT NOT NULL,
    "location_id" BIGINT,
    "trigger" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'running',
    "started_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(6),
    "stats" JSONB NOT NULL DEFAULT '{}',
    "api_calls" INTEGER NOT NULL DEFAULT 0,
    "retries" INTEGER NOT NULL DEFAULT 0,
    "relogins" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "job_id" TEXT,
    "worker_id" TEXT,
    "heartbeat_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sync_runs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "locations_active_idx" ON "locations"("id") WHERE deleted_at IS NULL;

-- CreateIndex
CREATE INDEX "staff_active_idx" ON "staff"("id") WHERE deleted_at IS NULL;

-- CreateIndex
CREATE INDEX "services_active_idx" ON "services"("id") WHERE deleted_at IS NULL;

-- CreateIndex
CREATE INDEX "location_staff_staff_id_idx" ON "location_staff"("staff_id");

-- CreateIndex
CREATE INDEX "location_staff_active_idx" ON "location_staff"("location_id") WHERE deleted_at IS NULL;

-- CreateIndex
CREATE INDEX "location_services_service_id_idx" ON "location_services"("service_id");

-- CreateIndex
CREATE INDEX "location_services_active_idx" ON "location_services"("location_id") WHERE deleted_at IS NULL;

-- CreateIndex
CREATE INDEX "staff_services_staff_id_idx" ON "staff_services"("staff_id");

-- CreateIndex
CREATE INDEX "staff_services_service_id_idx" ON "staff_services"("service_id");

-- CreateIndex
CREATE INDEX "staff_services_active_idx" ON "staff_services"("location_id") WHERE deleted_at IS NULL;

-- CreateIndex
CREATE INDEX "sync_runs_status_started_at_idx" ON "sync_runs"("status", "started_at");
