-- The hl7 feature's own store, beside the index in the same database. Applied by the feature at start-up
-- and recorded in "_hl7_migrations"; it never touches the index's tables.

-- The current demographics of each patient as the RIS/EHR last sent them (HL7 v2 ADT), the Patient module
-- as DICOM JSON. A merged patient keeps its row and names the patient it was merged into.
CREATE TABLE "hl7_patient" (
    "partition_id" INTEGER NOT NULL,
    "patient_id" TEXT NOT NULL,
    "issuer" TEXT NOT NULL,
    "attributes" JSONB NOT NULL,
    "occurred_at" TIMESTAMPTZ(6) NOT NULL,
    "merged_into_patient_id" TEXT,
    "merged_into_issuer" TEXT,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "hl7_patient_pkey" PRIMARY KEY ("partition_id", "patient_id", "issuer")
);

-- The audit trail: every patient change received (update or merge), once per event id (the HL7 message's
-- sender and control id), with what it said and when it was published on the bus.
CREATE TABLE "hl7_patient_event" (
    "pk" BIGSERIAL NOT NULL,
    "event_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "partition_id" INTEGER NOT NULL,
    "patient_id" TEXT NOT NULL,
    "issuer" TEXT NOT NULL,
    "merged_patient_id" TEXT,
    "merged_issuer" TEXT,
    "attributes" JSONB,
    "occurred_at" TIMESTAMPTZ(6) NOT NULL,
    "received_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "published_at" TIMESTAMPTZ(6),
    CONSTRAINT "hl7_patient_event_pkey" PRIMARY KEY ("pk")
);
CREATE UNIQUE INDEX "hl7_patient_event_event_id_key" ON "hl7_patient_event"("event_id");
CREATE INDEX "hl7_patient_event_patient_idx" ON "hl7_patient_event"("partition_id", "patient_id", "issuer");

-- The outbox of everything sent out (ORU^R01 over MLLP, webhook POSTs): written before the triggering
-- event is acknowledged, delivered and retried with backoff until the destination accepts it. "key" makes
-- an entry idempotent (the same report for the same destination is queued once).
CREATE TABLE "hl7_outbox" (
    "pk" BIGSERIAL NOT NULL,
    "key" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "destination" TEXT NOT NULL,
    "payload" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "claimed_until" TIMESTAMPTZ(6),
    "last_error" TEXT,
    "delivered_at" TIMESTAMPTZ(6),
    CONSTRAINT "hl7_outbox_pkey" PRIMARY KEY ("pk")
);
CREATE UNIQUE INDEX "hl7_outbox_key_key" ON "hl7_outbox"("key");
CREATE INDEX "hl7_outbox_due_idx" ON "hl7_outbox"("next_attempt_at") WHERE "delivered_at" IS NULL;

-- Positions of the feature's pollers (e.g. the last UPS modification time seen).
CREATE TABLE "hl7_cursor" (
    "name" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "hl7_cursor_pkey" PRIMARY KEY ("name")
);
