-- The worklist's own store (UPS-RS, PS3.18 §11; PS3.4 Annex CC), beside the index in the same database.
-- Applied by the worklist feature at start-up, recorded in "_worklist_migrations". It never touches the
-- index's tables.

-- One Unified Procedure Step instance. "attributes" is the workitem as DICOM JSON (PS3.18 F.2) without
-- the Transaction UID (0008,1195), which is kept apart: it is the owner's access lock and is never
-- returned (PS3.18 §11.5.2). The other columns are the matching keys a worklist query needs, typed and
-- indexed.
CREATE TABLE "workitem" (
    "pk" BIGSERIAL NOT NULL,
    "partition_id" INTEGER NOT NULL DEFAULT 1,
    "uid" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "transaction_uid" TEXT,
    "priority" TEXT,
    "scheduled_start" TIMESTAMP(6),
    "expected_completion" TIMESTAMP(6),
    "modified_at" TIMESTAMP(6) NOT NULL,
    "in_progress_at" TIMESTAMP(6),
    "input_readiness_state" TEXT,
    "procedure_step_label" TEXT,
    "worklist_label" TEXT,
    "modality" TEXT,
    "station_name" TEXT,
    "station_location" TEXT,
    "performer" TEXT,
    "patient_id" TEXT,
    "issuer" TEXT,
    "patient_name_norm" TEXT,
    "accession_number" TEXT,
    "requested_procedure_id" TEXT,
    "study_uid" TEXT,
    "attributes" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "workitem_pkey" PRIMARY KEY ("pk")
);

CREATE UNIQUE INDEX "workitem_partition_id_uid_key" ON "workitem"("partition_id", "uid");

-- A reading radiologist's worklist: by status, modality, station, priority, each ordered by the
-- scheduled start (PS3.4 CC.2.5.1 matching keys).
CREATE INDEX "workitem_partition_id_scheduled_start_idx" ON "workitem"("partition_id", "scheduled_start");
CREATE INDEX "workitem_partition_id_state_scheduled_start_idx" ON "workitem"("partition_id", "state", "scheduled_start");
CREATE INDEX "workitem_partition_id_modality_scheduled_start_idx" ON "workitem"("partition_id", "modality", "scheduled_start");
CREATE INDEX "workitem_partition_id_station_name_scheduled_start_idx" ON "workitem"("partition_id", "station_name", "scheduled_start");
CREATE INDEX "workitem_partition_id_priority_scheduled_start_idx" ON "workitem"("partition_id", "priority", "scheduled_start");
CREATE INDEX "workitem_partition_id_modified_at_idx" ON "workitem"("partition_id", "modified_at");
CREATE INDEX "workitem_partition_id_patient_id_issuer_idx" ON "workitem"("partition_id", "patient_id", "issuer");
CREATE INDEX "workitem_partition_id_patient_name_norm_idx" ON "workitem"("partition_id", "patient_name_norm" text_pattern_ops);
CREATE INDEX "workitem_partition_id_accession_number_idx" ON "workitem"("partition_id", "accession_number");
CREATE INDEX "workitem_partition_id_study_uid_idx" ON "workitem"("partition_id", "study_uid");
