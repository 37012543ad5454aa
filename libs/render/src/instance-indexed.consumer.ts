import { Topic, type BusMessage, type EventBus, type Subscription } from '@pacs/bus';
import { decodeInstanceIndexed, IndexOutcome } from '@pacs/contracts';
import { EVENT_BUS, LOGGER, type Logger } from '@pacs/runtime';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { RenderService } from './render.service';

/** The consumer group of the thumbnail precomputation: each indexed instance is rendered by one render replica. */
export const thumbnailConsumerGroup = 'pacs-render-thumbnails';

/**
 * Precomputes the default thumbnail of every newly indexed instance (PS3.18 §10.4.1.1.5), so that a viewer's first
 * thumbnail request is one blob read. Idempotent (a stored thumbnail is not rendered again); an instance without an
 * image, or whose pixel data cannot be rendered, is skipped; storage or the index being down fails the batch, which
 * the bus retries.
 */
@Injectable()
export class InstanceIndexedConsumer implements OnModuleInit, OnApplicationShutdown {
  private subscription?: Subscription;

  constructor(
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly render: RenderService,
  ) {}

  async onModuleInit(): Promise<void> {
    this.subscription = await this.bus.subscribe({
      topic: Topic.InstanceIndexed,
      group: thumbnailConsumerGroup,
      maxBatchSize: 50,
      handler: (batch) => this.handle(batch),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.close();
  }

  private async handle(batch: BusMessage[]): Promise<void> {
    for (const message of batch) {
      const event = decodeInstanceIndexed(message.value, message.headers);
      if (event.outcome !== IndexOutcome.INDEXED && event.outcome !== IndexOutcome.ALREADY_INDEXED) continue;
      const outcome = await this.render.precomputeThumbnail({
        partitionId: Number(event.partition) || 1, // the default partition is 1
        studyUid: event.studyInstanceUid,
        seriesUid: event.seriesInstanceUid,
        sopUid: event.sopInstanceUid,
      });
      this.logger.debug({ outcome }, 'thumbnail precomputed');
    }
  }
}
