-- DropIndex
DROP INDEX "instance_series_pk_instance_number_idx";

-- DropIndex
DROP INDEX "series_requested_procedure_ids_idx";

-- DropIndex
DROP INDEX "series_scheduled_procedure_step_ids_idx";

-- DropIndex
DROP INDEX "series_study_pk_series_number_idx";

-- DropIndex
DROP INDEX "study_partition_id_study_date_study_time_idx";

-- AlterTable
ALTER TABLE "patient" ADD COLUMN     "source_updated_at" BIGINT;

-- AlterTable
ALTER TABLE "series" ADD COLUMN     "request_attributes" JSONB NOT NULL DEFAULT '[]';

-- Backfill: one object per RequestAttributesSequence item, {tag: first value} of the item keys the index
-- matches (ScheduledProcedureStepID, RequestedProcedureID, AccessionNumber, RequestedProcedureDescription,
-- ScheduledProcedureStepDescription), from the sequence kept in series.attributes.
UPDATE "series" AS s SET "request_attributes" = COALESCE((
    SELECT jsonb_agg(items.item)
    FROM (
        SELECT (
            SELECT COALESCE(jsonb_object_agg(k, e -> k -> 'Value' ->> 0), '{}'::jsonb)
            FROM unnest(ARRAY['00400009', '00401001', '00080050', '00321060', '00400007']) AS k
            WHERE COALESCE(e -> k -> 'Value' ->> 0, '') <> ''
        ) AS item
        FROM jsonb_array_elements(s."attributes" -> '00400275' -> 'Value') AS e
        WHERE jsonb_typeof(e) = 'object'
    ) AS items
), '[]'::jsonb)
WHERE jsonb_typeof(s."attributes" -> '00400275' -> 'Value') = 'array';

-- AlterTable
ALTER TABLE "series" DROP COLUMN "requested_procedure_ids",
DROP COLUMN "scheduled_procedure_step_ids";

-- AlterTable
ALTER TABLE "study" ADD COLUMN     "patient_name_keys" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "referring_physician_keys" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "timezone_offset_minutes" INTEGER;

-- Backfill: normalised names lose trailing component delimiters ("DOE^JOHN^^" matches "Doe^John").
UPDATE "patient" SET "patient_name_norm" = NULLIF(rtrim("patient_name_norm", '^ '), '')
WHERE "patient_name_norm" IS NOT NULL;
UPDATE "study" SET "patient_name_norm" = NULLIF(rtrim("patient_name_norm", '^ '), ''),
    "referring_physician_norm" = NULLIF(rtrim("referring_physician_norm", '^ '), '');

-- Backfill: fuzzy matching keys, every prefix (up to 32 characters) of every word of the normalised name;
-- words are separated by component (^), group (=) and word (space , . ' -) delimiters.
UPDATE "study" SET
    "patient_name_keys" = COALESCE((
        SELECT array_agg(DISTINCT left(w, n))
        FROM regexp_split_to_table("patient_name_norm", '[\^=[:space:],.''-]+') AS w,
             generate_series(1, least(length(w), 32)) AS n
        WHERE w <> ''
    ), '{}'),
    "referring_physician_keys" = COALESCE((
        SELECT array_agg(DISTINCT left(w, n))
        FROM regexp_split_to_table("referring_physician_norm", '[\^=[:space:],.''-]+') AS w,
             generate_series(1, least(length(w), 32)) AS n
        WHERE w <> ''
    ), '{}');

-- Backfill: TimezoneOffsetFromUTC ('+HHMM' / '-HHMM', PS3.3 §C.12.1.1.8) in minutes.
UPDATE "study" SET "timezone_offset_minutes" =
    (CASE WHEN left("timezone_offset_from_utc", 1) = '-' THEN -1 ELSE 1 END)
    * (substr("timezone_offset_from_utc", 2, 2)::int * 60 + substr("timezone_offset_from_utc", 4, 2)::int)
WHERE "timezone_offset_from_utc" ~ '^[+-][0-9]{2}[0-5][0-9]$';

-- CreateTable
CREATE TABLE "patient_merge" (
    "partition_id" INTEGER NOT NULL,
    "patient_id" TEXT NOT NULL,
    "issuer" TEXT NOT NULL,
    "surviving_patient_id" TEXT NOT NULL,
    "surviving_issuer" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "merged_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "patient_merge_pkey" PRIMARY KEY ("partition_id","patient_id","issuer")
);

-- CreateTable
CREATE TABLE "extended_query_tag" (
    "pk" SERIAL NOT NULL,
    "tag" TEXT NOT NULL,
    "keyword" TEXT NOT NULL,
    "vr" TEXT NOT NULL,
    "level" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'reindexing',
    "total" BIGINT NOT NULL DEFAULT 0,
    "done" BIGINT NOT NULL DEFAULT 0,
    "cursor" BIGINT NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "extended_query_tag_pkey" PRIMARY KEY ("pk")
);

-- CreateTable
CREATE TABLE "study_extended_value" (
    "tag_pk" INTEGER NOT NULL,
    "study_pk" BIGINT NOT NULL,
    "ordinal" SMALLINT NOT NULL,
    "value_text" TEXT,
    "value_number" DOUBLE PRECISION,

    CONSTRAINT "study_extended_value_pkey" PRIMARY KEY ("tag_pk","study_pk","ordinal")
);

-- CreateTable
CREATE TABLE "series_extended_value" (
    "tag_pk" INTEGER NOT NULL,
    "series_pk" BIGINT NOT NULL,
    "ordinal" SMALLINT NOT NULL,
    "value_text" TEXT,
    "value_number" DOUBLE PRECISION,

    CONSTRAINT "series_extended_value_pkey" PRIMARY KEY ("tag_pk","series_pk","ordinal")
);

-- CreateTable
CREATE TABLE "instance_extended_value" (
    "tag_pk" INTEGER NOT NULL,
    "instance_pk" BIGINT NOT NULL,
    "ordinal" SMALLINT NOT NULL,
    "value_text" TEXT,
    "value_number" DOUBLE PRECISION,

    CONSTRAINT "instance_extended_value_pkey" PRIMARY KEY ("tag_pk","instance_pk","ordinal")
);

-- CreateIndex
CREATE INDEX "patient_merge_partition_id_surviving_patient_id_surviving_i_idx" ON "patient_merge"("partition_id", "surviving_patient_id", "surviving_issuer");

-- CreateIndex
CREATE UNIQUE INDEX "extended_query_tag_tag_key" ON "extended_query_tag"("tag");

-- CreateIndex
CREATE INDEX "study_extended_value_tag_pk_value_text_idx" ON "study_extended_value"("tag_pk", "value_text" text_pattern_ops);

-- CreateIndex
CREATE INDEX "study_extended_value_tag_pk_value_number_idx" ON "study_extended_value"("tag_pk", "value_number");

-- CreateIndex
CREATE INDEX "study_extended_value_study_pk_idx" ON "study_extended_value"("study_pk");

-- CreateIndex
CREATE INDEX "series_extended_value_tag_pk_value_text_idx" ON "series_extended_value"("tag_pk", "value_text" text_pattern_ops);

-- CreateIndex
CREATE INDEX "series_extended_value_tag_pk_value_number_idx" ON "series_extended_value"("tag_pk", "value_number");

-- CreateIndex
CREATE INDEX "series_extended_value_series_pk_idx" ON "series_extended_value"("series_pk");

-- CreateIndex
CREATE INDEX "instance_extended_value_tag_pk_value_text_idx" ON "instance_extended_value"("tag_pk", "value_text" text_pattern_ops);

-- CreateIndex
CREATE INDEX "instance_extended_value_tag_pk_value_number_idx" ON "instance_extended_value"("tag_pk", "value_number");

-- CreateIndex
CREATE INDEX "instance_extended_value_instance_pk_idx" ON "instance_extended_value"("instance_pk");

-- CreateIndex
CREATE INDEX "instance_series_pk_instance_number_pk_idx" ON "instance"("series_pk", "instance_number", "pk");

-- CreateIndex
CREATE INDEX "instance_partition_id_content_date_idx" ON "instance"("partition_id", "content_date");

-- CreateIndex
CREATE INDEX "series_study_pk_series_number_pk_idx" ON "series"("study_pk" DESC, "series_number", "pk");

-- CreateIndex
CREATE INDEX "series_request_attributes_idx" ON "series" USING GIN ("request_attributes" jsonb_path_ops);

-- CreateIndex
CREATE INDEX "study_partition_id_study_date_study_time_pk_idx" ON "study"("partition_id", "study_date", "study_time", "pk");

-- CreateIndex
CREATE INDEX "study_partition_id_study_description_idx" ON "study"("partition_id", "study_description" text_pattern_ops);

-- CreateIndex
CREATE INDEX "study_sop_classes_idx" ON "study" USING GIN ("sop_classes");

-- CreateIndex
CREATE INDEX "study_patient_name_keys_idx" ON "study" USING GIN ("patient_name_keys");

-- CreateIndex
CREATE INDEX "study_referring_physician_keys_idx" ON "study" USING GIN ("referring_physician_keys");

-- AddForeignKey
ALTER TABLE "study_extended_value" ADD CONSTRAINT "study_extended_value_tag_pk_fkey" FOREIGN KEY ("tag_pk") REFERENCES "extended_query_tag"("pk") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "study_extended_value" ADD CONSTRAINT "study_extended_value_study_pk_fkey" FOREIGN KEY ("study_pk") REFERENCES "study"("pk") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "series_extended_value" ADD CONSTRAINT "series_extended_value_tag_pk_fkey" FOREIGN KEY ("tag_pk") REFERENCES "extended_query_tag"("pk") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "series_extended_value" ADD CONSTRAINT "series_extended_value_series_pk_fkey" FOREIGN KEY ("series_pk") REFERENCES "series"("pk") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "instance_extended_value" ADD CONSTRAINT "instance_extended_value_tag_pk_fkey" FOREIGN KEY ("tag_pk") REFERENCES "extended_query_tag"("pk") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "instance_extended_value" ADD CONSTRAINT "instance_extended_value_instance_pk_fkey" FOREIGN KEY ("instance_pk") REFERENCES "instance"("pk") ON DELETE CASCADE ON UPDATE CASCADE;

-- Storage: the data sets of instance_metadata are a few kB of JSON, compressed by TOAST. LZ4 compresses them
-- several times faster than the default pglz; servers built without LZ4 (PGlite) keep pglz.
DO 'BEGIN
  ALTER TABLE "instance_metadata" ALTER COLUMN "dataset_json" SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  NULL;
END';
