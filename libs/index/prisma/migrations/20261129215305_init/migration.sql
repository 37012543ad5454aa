-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "partition" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,

    CONSTRAINT "partition_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "patient" (
    "pk" BIGSERIAL NOT NULL,
    "partition_id" INTEGER NOT NULL DEFAULT 1,
    "patient_id" TEXT NOT NULL,
    "issuer" TEXT NOT NULL DEFAULT '',
    "patient_name" TEXT,
    "patient_name_norm" TEXT,
    "patient_birth_date" DATE,
    "patient_sex" TEXT,
    "attributes" JSONB,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "patient_pkey" PRIMARY KEY ("pk")
);

-- CreateTable
CREATE TABLE "study" (
    "pk" BIGSERIAL NOT NULL,
    "partition_id" INTEGER NOT NULL DEFAULT 1,
    "patient_pk" BIGINT NOT NULL,
    "study_uid" TEXT NOT NULL,
    "study_date" DATE,
    "study_time" TIME(6),
    "accession_number" TEXT,
    "study_id" TEXT,
    "study_description" TEXT,
    "referring_physician_name" TEXT,
    "referring_physician_norm" TEXT,
    "timezone_offset_from_utc" TEXT,
    "patient_id" TEXT NOT NULL,
    "issuer" TEXT NOT NULL DEFAULT '',
    "patient_name" TEXT,
    "patient_name_norm" TEXT,
    "patient_birth_date" DATE,
    "patient_sex" TEXT,
    "modalities" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "sop_classes" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "num_series" INTEGER NOT NULL DEFAULT 0,
    "num_instances" INTEGER NOT NULL DEFAULT 0,
    "attributes" JSONB,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "study_pkey" PRIMARY KEY ("pk")
);

-- CreateTable
CREATE TABLE "series" (
    "pk" BIGSERIAL NOT NULL,
    "partition_id" INTEGER NOT NULL DEFAULT 1,
    "study_pk" BIGINT NOT NULL,
    "series_uid" TEXT NOT NULL,
    "modality" TEXT,
    "series_number" INTEGER,
    "series_description" TEXT,
    "body_part_examined" TEXT,
    "performed_start_date" DATE,
    "performed_start_time" TIME(6),
    "station_name" TEXT,
    "institution_name" TEXT,
    "scheduled_procedure_step_ids" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "requested_procedure_ids" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "num_instances" INTEGER NOT NULL DEFAULT 0,
    "attributes" JSONB,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "series_pkey" PRIMARY KEY ("pk")
);

-- CreateTable
CREATE TABLE "instance" (
    "pk" BIGSERIAL NOT NULL,
    "partition_id" INTEGER NOT NULL DEFAULT 1,
    "study_pk" BIGINT NOT NULL,
    "series_pk" BIGINT NOT NULL,
    "sop_uid" TEXT NOT NULL,
    "sop_class_uid" TEXT NOT NULL,
    "instance_number" INTEGER,
    "transfer_syntax_uid" TEXT NOT NULL,
    "number_of_frames" INTEGER,
    "rows" INTEGER,
    "columns" INTEGER,
    "content_date" DATE,
    "content_time" TIME(6),
    "attributes" JSONB,
    "blob_key" TEXT NOT NULL,
    "size" BIGINT NOT NULL,
    "sha256" TEXT NOT NULL,
    "ingest_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "instance_pkey" PRIMARY KEY ("pk")
);

-- CreateTable
CREATE TABLE "instance_metadata" (
    "instance_pk" BIGINT NOT NULL,
    "dataset_json" TEXT NOT NULL,
    "pixel_index" TEXT,
    "bulk" TEXT,

    CONSTRAINT "instance_metadata_pkey" PRIMARY KEY ("instance_pk")
);

-- CreateIndex
CREATE UNIQUE INDEX "partition_name_key" ON "partition"("name");

-- CreateIndex
CREATE INDEX "patient_partition_id_patient_name_norm_idx" ON "patient"("partition_id", "patient_name_norm" text_pattern_ops);

-- CreateIndex
CREATE UNIQUE INDEX "patient_partition_id_patient_id_issuer_key" ON "patient"("partition_id", "patient_id", "issuer");

-- CreateIndex
CREATE INDEX "study_patient_pk_idx" ON "study"("patient_pk");

-- CreateIndex
CREATE INDEX "study_partition_id_study_date_study_time_idx" ON "study"("partition_id", "study_date", "study_time");

-- CreateIndex
CREATE INDEX "study_partition_id_patient_id_issuer_idx" ON "study"("partition_id", "patient_id", "issuer");

-- CreateIndex
CREATE INDEX "study_partition_id_patient_name_norm_idx" ON "study"("partition_id", "patient_name_norm" text_pattern_ops);

-- CreateIndex
CREATE INDEX "study_partition_id_accession_number_idx" ON "study"("partition_id", "accession_number");

-- CreateIndex
CREATE INDEX "study_partition_id_study_id_idx" ON "study"("partition_id", "study_id");

-- CreateIndex
CREATE INDEX "study_partition_id_referring_physician_norm_idx" ON "study"("partition_id", "referring_physician_norm" text_pattern_ops);

-- CreateIndex
CREATE INDEX "study_partition_id_patient_birth_date_idx" ON "study"("partition_id", "patient_birth_date");

-- CreateIndex
CREATE INDEX "study_modalities_idx" ON "study" USING GIN ("modalities");

-- CreateIndex
CREATE INDEX "study_partition_id_created_at_idx" ON "study"("partition_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "study_partition_id_study_uid_key" ON "study"("partition_id", "study_uid");

-- CreateIndex
CREATE INDEX "series_study_pk_series_number_idx" ON "series"("study_pk", "series_number");

-- CreateIndex
CREATE INDEX "series_partition_id_modality_idx" ON "series"("partition_id", "modality");

-- CreateIndex
CREATE INDEX "series_partition_id_performed_start_date_idx" ON "series"("partition_id", "performed_start_date");

-- CreateIndex
CREATE INDEX "series_scheduled_procedure_step_ids_idx" ON "series" USING GIN ("scheduled_procedure_step_ids");

-- CreateIndex
CREATE INDEX "series_requested_procedure_ids_idx" ON "series" USING GIN ("requested_procedure_ids");

-- CreateIndex
CREATE UNIQUE INDEX "series_partition_id_series_uid_key" ON "series"("partition_id", "series_uid");

-- CreateIndex
CREATE INDEX "instance_series_pk_instance_number_idx" ON "instance"("series_pk", "instance_number");

-- CreateIndex
CREATE INDEX "instance_study_pk_idx" ON "instance"("study_pk");

-- CreateIndex
CREATE INDEX "instance_partition_id_sop_class_uid_idx" ON "instance"("partition_id", "sop_class_uid");

-- CreateIndex
CREATE UNIQUE INDEX "instance_partition_id_sop_uid_key" ON "instance"("partition_id", "sop_uid");

-- AddForeignKey
ALTER TABLE "study" ADD CONSTRAINT "study_patient_pk_fkey" FOREIGN KEY ("patient_pk") REFERENCES "patient"("pk") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "series" ADD CONSTRAINT "series_study_pk_fkey" FOREIGN KEY ("study_pk") REFERENCES "study"("pk") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "instance" ADD CONSTRAINT "instance_study_pk_fkey" FOREIGN KEY ("study_pk") REFERENCES "study"("pk") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "instance" ADD CONSTRAINT "instance_series_pk_fkey" FOREIGN KEY ("series_pk") REFERENCES "series"("pk") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "instance_metadata" ADD CONSTRAINT "instance_metadata_instance_pk_fkey" FOREIGN KEY ("instance_pk") REFERENCES "instance"("pk") ON DELETE CASCADE ON UPDATE CASCADE;
