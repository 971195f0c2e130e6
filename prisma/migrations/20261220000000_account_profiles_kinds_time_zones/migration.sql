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
