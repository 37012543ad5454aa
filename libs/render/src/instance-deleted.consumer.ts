import { Topic, type BusMessage, type EventBus, type Subscription } from '@pacs/bus';
import { decodeInstanceDeleted } from '@pacs/contracts';
import { EVENT_BUS, LOGGER, type Logger } from '@pacs/runtime';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { RenderService } from './render.service';

/** The consumer group that removes derived objects: each deletion is handled by one render replica. */
export const derivedCleanupConsumerGroup = 'pacs-render-derived';

/**
 * Removes the thumbnails of deleted instances, which are answered from the blob store without the index: without
 * this a deleted instance's thumbnail would stay reachable. Idempotent (removing nothing succeeds).
 */
@Injectable()
export class InstanceDeletedConsumer implements OnModuleInit, OnApplicationShutdown {
  private subscription?: Subscription;

  constructor(
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly render: RenderService,
  ) {}

  async onModuleInit(): Promise<void> {
    this.subscription = await this.bus.subscribe({
      topic: Topic.InstanceDeleted,
      group: derivedCleanupConsumerGroup,
      handler: (batch) => this.handle(batch),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.close();
  }

  private async handle(batch: BusMessage[]): Promise<void> {
    for (const message of batch) {
      const event = decodeInstanceDeleted(message.value, message.headers);
      const removed = await this.render.forget({
        partitionId: Number(event.partition) || 1,
        studyUid: event.studyInstanceUid,
        seriesUid: event.seriesInstanceUid,
        sopUid: event.sopInstanceUid,
      });
      this.logger.debug({ removed }, 'derived objects of a deleted instance removed');
    }
  }
}
