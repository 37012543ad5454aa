import { Topic, type BusMessage, type EventBus, type Subscription } from '@pacs/bus';
import {
  decodeInstanceStored,
  encodeInstanceIndexed,
  eventHeaders,
  IndexOutcome,
  InstanceIndexedSchema,
  type InstanceStored,
} from '@pacs/contracts';
import type { PixelDataIndex } from '@pacs/dicom';
import { writeInstances, type IndexDatabase, type InstanceRecord, type IndexOutcomeKind } from '@pacs/index';
import { BLOB_STORE, EVENT_BUS, INDEX_DATABASE, LOGGER, type Logger } from '@pacs/runtime';
import type { BlobStore } from '@pacs/storage';
import { Inject, Injectable } from '@nestjs/common';
import { text } from 'node:stream/consumers';

const outcomeCodes: Record<IndexOutcomeKind, IndexOutcome> = {
  indexed: IndexOutcome.INDEXED,
  'already-indexed': IndexOutcome.ALREADY_INDEXED,
  conflict: IndexOutcome.CONFLICT,
};

/** The consumer group of the index owner on instance.stored: each event is handled by one qido replica. */
export const indexConsumerGroup = 'pacs-index';

/**
 * The index owner's consumer group of another topic. One group per topic: Kafka assigns the partitions of every
 * topic a group's members subscribe to among all of them, so members of one group subscribed to different
 * topics would be handed partitions they never read.
 */
export const indexConsumerGroupOf = (topic: string): string => `${indexConsumerGroup}.${topic}`;

/**
 * Most instance.stored events per index write: one transaction and one multi-row statement per table. Kafka
 * hands over what one fetch of a partition holds (1 MiB: about 400 events of 2.4 kB), fewer when events are
 * larger (bench/qido/README.md).
 */
export const indexBatchSize = 500;

/**
 * instance.stored → the index → instance.indexed: each batch is written in one transaction and answered after
 * the commit, so the bus commits its offsets only for what the database has (a crash in between re-delivers,
 * and re-indexing is idempotent). Started by the IndexOwner once the migrations are applied.
 */
@Injectable()
export class InstanceStoredConsumer {
  private subscription?: Subscription;

  constructor(
    @Inject(INDEX_DATABASE) private readonly db: IndexDatabase,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.subscription = await this.bus.subscribe({
      topic: Topic.InstanceStored,
      group: indexConsumerGroup,
      maxBatchSize: indexBatchSize,
      handler: (batch) => this.handle(batch),
    });
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
  }

  async handle(batch: BusMessage[]): Promise<void> {
    const started = performance.now();
    const events = batch.map((m) => decodeInstanceStored(m.value, m.headers));
    const records = await Promise.all(events.map((e) => this.recordOf(e)));
    const outcomes = await writeInstances(this.db.sql, records);
    this.logger.debug({ instances: batch.length, ms: Math.round(performance.now() - started) }, 'index batch written');
    await this.bus.publish(
      outcomes.map((outcome, n) => {
        const event = events[n]!;
        return {
          topic: Topic.InstanceIndexed,
          key: event.studyInstanceUid,
          value: encodeInstanceIndexed({
            partition: event.partition,
            studyInstanceUid: event.studyInstanceUid,
            seriesInstanceUid: event.seriesInstanceUid,
            sopInstanceUid: event.sopInstanceUid,
            ingestId: event.ingestId,
            requestId: event.requestId,
            outcome: outcomeCodes[outcome.outcome],
            reason: outcome.reason ?? '',
            indexedAt: BigInt(Date.now()),
          }),
          headers: eventHeaders(InstanceIndexedSchema),
        };
      }),
    );
  }

  private async recordOf(event: InstanceStored): Promise<InstanceRecord> {
    const datasetJson =
      event.metadata.case === 'datasetJsonBlobKey'
        ? await text(await this.blobs.get(event.metadata.value))
        : Buffer.from(event.metadata.value ?? new Uint8Array()).toString('utf8');
    return {
      partitionId: partitionOf(event.partition),
      ingestId: event.ingestId,
      studyUid: event.studyInstanceUid,
      seriesUid: event.seriesInstanceUid,
      sopUid: event.sopInstanceUid,
      sopClassUid: event.sopClassUid,
      transferSyntaxUid: event.transferSyntaxUid,
      blobKey: event.blobKey,
      size: Number(event.size),
      sha256: event.sha256,
      dataset: JSON.parse(datasetJson),
      datasetJson,
      pixelIndex: event.pixelData ? JSON.stringify(pixelIndexOf(event)) : undefined,
      bulk:
        event.bulk.length > 0
          ? JSON.stringify(
              event.bulk.map((b) => ({ path: b.path, vr: b.vr, offset: Number(b.offset), length: Number(b.length) })),
            )
          : undefined,
    };
  }
}

/** The partition of an event ('' or not a number: the default partition, 1). */
export const partitionOf = (partition: string): number => Number(partition) || 1;

const range = (r: { offset: bigint; length: bigint }) => ({ offset: Number(r.offset), length: Number(r.length) });

/** The event's pixel data index as the index keeps it for WADO-RS: @pacs/dicom's PixelDataIndex, plus the Deflated flag. */
function pixelIndexOf(event: InstanceStored): PixelDataIndex & { deflated: boolean } {
  const p = event.pixelData!;
  return {
    tag: p.tag,
    vr: p.vr,
    offset: Number(p.valueOffset),
    ...(p.valueLength === undefined ? {} : { length: Number(p.valueLength) }),
    encapsulated: p.encapsulated,
    basicOffsetTable: [],
    fragments: p.fragments.map(range),
    frames: p.frames.map((f) => ({ ranges: f.ranges.map(range), ...(f.bitOffset ? { bitOffset: f.bitOffset } : {}) })),
    ...(p.frameMapping ? { frameMapping: p.frameMapping as PixelDataIndex['frameMapping'] } : {}),
    deflated: event.deflated,
  };
}
