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
import {
  applyMigrations,
  writeInstances,
  type IndexDatabase,
  type InstanceRecord,
  type IndexOutcomeKind,
} from '@pacs/index';
import { BLOB_STORE, EVENT_BUS, INDEX_DATABASE, LOGGER, type Logger } from '@pacs/runtime';
import type { BlobStore } from '@pacs/storage';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { text } from 'node:stream/consumers';

const outcomeCodes: Record<IndexOutcomeKind, IndexOutcome> = {
  indexed: IndexOutcome.INDEXED,
  'already-indexed': IndexOutcome.ALREADY_INDEXED,
  conflict: IndexOutcome.CONFLICT,
};

/** The consumer group of the index owner: each stored instance is indexed by one qido replica. */
export const indexConsumerGroup = 'pacs-index';

/**
 * The index owner: applies the migrations at start-up, then consumes instance.stored in batches, writes each
 * batch in one transaction and answers with instance.indexed — after the commit, so the bus commits its
 * offsets only for what the database has (a crash in between re-delivers, and re-indexing is idempotent).
 */
@Injectable()
export class InstanceStoredConsumer implements OnModuleInit, OnApplicationShutdown {
  private subscription?: Subscription;

  constructor(
    @Inject(INDEX_DATABASE) private readonly db: IndexDatabase,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    const applied = await applyMigrations(this.db.sql);
    if (applied.length > 0) this.logger.info({ migrations: applied }, 'index migrations applied');
    this.subscription = await this.bus.subscribe({
      topic: Topic.InstanceStored,
      group: indexConsumerGroup,
      maxBatchSize: 500,
      handler: (batch) => this.handle(batch),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.close();
  }

  private async handle(batch: BusMessage[]): Promise<void> {
    const events = batch.map((m) => decodeInstanceStored(m.value, m.headers));
    const records = await Promise.all(events.map((e) => this.recordOf(e)));
    const outcomes = await writeInstances(this.db.sql, records);
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
      partitionId: Number(event.partition) || 1, // the default partition is 1
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
