import { Topic, type BusMessage, type EventBus, type Subscription } from '@pacs/bus';
import { decodeInstanceDeleted } from '@pacs/contracts';
import { deleteInstances, type IndexDatabase } from '@pacs/index';
import { EVENT_BUS, INDEX_DATABASE, LOGGER, type Logger } from '@pacs/runtime';
import { Inject, Injectable } from '@nestjs/common';
import { indexConsumerGroupOf, partitionOf } from './instance-stored.consumer';

/**
 * instance.deleted → the index: each batch of deleted instances leaves the index in one transaction, and the
 * computed attributes of their studies and series are recomputed (empty ones go). Idempotent: an instance
 * deleted twice, or never indexed, changes nothing.
 */
@Injectable()
export class InstanceDeletedConsumer {
  private subscription?: Subscription;

  constructor(
    @Inject(INDEX_DATABASE) private readonly db: IndexDatabase,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.subscription = await this.bus.subscribe({
      topic: Topic.InstanceDeleted,
      group: indexConsumerGroupOf(Topic.InstanceDeleted),
      maxBatchSize: 500,
      handler: (batch) => this.handle(batch),
    });
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
  }

  async handle(batch: BusMessage[]): Promise<void> {
    const events = batch.map((m) => decodeInstanceDeleted(m.value, m.headers));
    const removed = await deleteInstances(
      this.db.sql,
      events.map((e) => ({
        partitionId: partitionOf(e.partition),
        studyUid: e.studyInstanceUid,
        seriesUid: e.seriesInstanceUid || undefined,
        sopUid: e.sopInstanceUid || undefined,
      })),
    );
    this.logger.debug({ events: events.length, removed: removed.length }, 'instances removed from the index');
  }
}
