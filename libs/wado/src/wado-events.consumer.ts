import { Topic, type EventBus, type Subscription } from '@pacs/bus';
import { decodeInstanceDeleted, decodeInstanceIndexed, IndexOutcome } from '@pacs/contracts';
import { BLOB_STORE, EVENT_BUS, LOGGER, type Logger } from '@pacs/runtime';
import type { BlobStore } from '@pacs/storage';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { CatalogEntry, InstanceCatalog } from './instance-catalog';
import { seriesPrefix, type SeriesRef } from './derived-keys';
import { FramesService } from './frames.service';
import { MetadataService } from './metadata.service';
import { StoredBytes } from './stored-bytes';

/**
 * The consumer groups that keep the derived objects: each event is handled by one wado replica. One group per
 * topic: Kafka assigns a group's partitions over all its members' topics, so a group shared by consumers of
 * different topics leaves partitions with members that do not read them.
 */
export const wadoDerivedConsumerGroup = 'pacs-wado-derived';
export const wadoDeletedConsumerGroup = 'pacs-wado-deleted';

/**
 * A series' document is rebuilt once its instances stop arriving for this long (a 500-instance series
 * stored one by one is rebuilt once, not 500 times), and at the latest this long after the first one.
 */
const quietMs = 1_000;
const maxDelayMs = 10_000;
/** instance.deleted reaches the index and us in any order: what we drop is dropped again this much later. */
const afterDeleteMs = 10_000;

const partitionOf = (partition: string): number => Number(partition) || 1; // the default partition is 1
const keyOf = (s: SeriesRef) => `${s.partitionId}/${s.studyUid}/${s.seriesUid}`;

/**
 * Keeps WADO-RS's derived objects in step with ingest and deletion:
 * - instance.indexed (consumer group): the series' metadata document is rebuilt and stored, and deflated
 *   originals get their inflated copy, so the first viewer finds both ready;
 * - instance.deleted (broadcast: every replica): cached lookups and responses of the instance are dropped;
 *   (consumer group) its derived objects are deleted and its series' document rebuilt.
 * None of this is needed for correctness: requests check the index's fingerprint and build what is missing
 * or stale. It moves the work out of the first request.
 */
@Injectable()
export class WadoEventsConsumer implements OnModuleInit, OnApplicationShutdown {
  private readonly subscriptions: Subscription[] = [];
  private readonly pending = new Map<string, { ref: SeriesRef; timer: NodeJS.Timeout; first: number }>();
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly metadata: MetadataService,
    private readonly catalog: InstanceCatalog,
    private readonly frames: FramesService,
    private readonly bytes: StoredBytes,
  ) {}

  async onModuleInit(): Promise<void> {
    this.subscriptions.push(
      await this.bus.subscribe({
        topic: Topic.InstanceIndexed,
        group: wadoDerivedConsumerGroup,
        handler: async (batch) => {
          for (const message of batch) {
            const event = decodeInstanceIndexed(message.value, message.headers);
            if (event.outcome !== IndexOutcome.INDEXED) continue;
            this.schedule({
              partitionId: partitionOf(event.partition),
              studyUid: event.studyInstanceUid,
              seriesUid: event.seriesInstanceUid,
            });
          }
        },
      }),
      await this.bus.broadcast({
        topic: Topic.InstanceDeleted,
        handler: async (batch) => {
          for (const message of batch) {
            const event = decodeInstanceDeleted(message.value, message.headers);
            const ref = {
              partitionId: partitionOf(event.partition),
              studyUid: event.studyInstanceUid,
              seriesUid: event.seriesInstanceUid,
            };
            const evict = () => {
              this.catalog.evict(ref.partitionId, ref.studyUid, ref.seriesUid, event.sopInstanceUid);
              this.metadata.evictSeries(ref);
            };
            evict();
            // The index drops the row when it handles the same event, maybe after a request cached it again.
            this.later(evict);
          }
        },
      }),
      await this.bus.subscribe({
        topic: Topic.InstanceDeleted,
        group: wadoDeletedConsumerGroup,
        handler: async (batch) => {
          for (const message of batch) {
            const event = decodeInstanceDeleted(message.value, message.headers);
            const ref = {
              partitionId: partitionOf(event.partition),
              studyUid: event.studyInstanceUid,
              seriesUid: event.seriesInstanceUid,
            };
            const prefix = `${seriesPrefix(ref)}instances/${event.sopInstanceUid}/`;
            await this.deleteDerived(prefix);
            // Again once the index has surely dropped the row: a request in between may have made objects anew.
            this.later(() => this.deleteDerived(prefix));
            this.schedule(ref);
          }
        },
      }),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    for (const s of this.subscriptions) await s.close();
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    await this.running;
  }

  /** Derived objects of one instance (all its originals' copies), and their transcoded frames in memory. */
  private async deleteDerived(prefix: string): Promise<void> {
    for await (const { key } of this.blobs.list(prefix)) {
      const sha256 = key.split('/').at(-2);
      if (sha256) this.frames.evict(sha256);
      await this.blobs.delete(key);
    }
  }

  /** Runs `work` once more a little later (best effort: not after shutdown, failures logged). */
  private later(work: () => unknown): void {
    const timer = setTimeout(() => {
      if (this.stopped) return;
      Promise.resolve()
        .then(work)
        .catch((error: unknown) =>
          this.logger.warn({ err: String(error) }, 'a delayed clean-up after a delete failed'),
        );
    }, afterDeleteMs);
    timer.unref();
  }

  private schedule(ref: SeriesRef): void {
    if (this.stopped) return;
    const key = keyOf(ref);
    const now = Date.now();
    const existing = this.pending.get(key);
    if (existing) clearTimeout(existing.timer);
    const first = existing?.first ?? now;
    const delay = Math.max(0, Math.min(quietMs, first + maxDelayMs - now));
    const timer = setTimeout(() => {
      this.pending.delete(key);
      this.running = this.running.then(() => this.refresh(ref));
    }, delay);
    timer.unref();
    this.pending.set(key, { ref, timer, first });
  }

  private async refresh(ref: SeriesRef): Promise<void> {
    if (this.stopped) return;
    try {
      const { details } = await this.metadata.refreshSeries(ref);
      for (const detail of details) {
        const entry = new CatalogEntry(ref.partitionId, detail);
        if (entry.deflated) await this.bytes.ensureInflated(entry.stored);
      }
    } catch (error) {
      // The next request builds what is missing; nothing is lost by giving up here.
      this.logger.warn({ err: String(error) }, 'refreshing the derived objects of a series failed');
    }
  }
}
