import { Topic, type EventBus, type ReceivedMessage, type Subscription } from '@pacs/bus';
import { decodeInstanceIndexed, IndexOutcome } from '@pacs/contracts';
import { EVENT_BUS, LOGGER, type Logger } from '@pacs/runtime';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Hl7Repository } from './hl7-repository';
import { ReportDistributor } from './report-distributor';

/** The consumer group of report detection: each indexed instance is looked at by one hl7 replica. */
export const reportConsumerGroup = 'pacs-hl7-reports';

/** A dependency (the database) is down: the bus retries the batch for as long as it takes. */
class Retryable extends Error {
  readonly retryable = true;
}

/**
 * Report arrival: consumes instance.indexed (an instance is in the index, so a link to it works), keeps
 * the instances the index says it INDEXED, finds the reports among them (SOP Class of an SR document or an
 * encapsulated PDF/CDA, read from the index) and queues their ORU^R01 and webhooks in the outbox before
 * the batch is committed — at least once, so no report is lost; the outbox key makes it once per report.
 */
@Injectable()
export class InstanceIndexedConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private subscription?: Subscription;

  constructor(
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly repository: Hl7Repository,
    private readonly distributor: ReportDistributor,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.distributor.enabled) {
      this.logger.info('no ORU destination and no webhook configured: report distribution is off');
      return;
    }
    this.subscription = await this.bus.subscribe({
      topic: Topic.InstanceIndexed,
      group: reportConsumerGroup,
      maxBatchSize: 500,
      handler: (batch) => this.handle(batch),
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscription?.close();
  }

  private async handle(batch: ReceivedMessage[]): Promise<void> {
    const byPartition = new Map<number, string[]>();
    for (const message of batch) {
      const event = decodeInstanceIndexed(message.value, message.headers);
      if (event.outcome !== IndexOutcome.INDEXED) continue;
      const partitionId = Number(event.partition) || 1;
      byPartition.set(partitionId, [...(byPartition.get(partitionId) ?? []), event.sopInstanceUid]);
    }
    try {
      for (const [partitionId, sopUids] of byPartition) {
        const reports = await this.distributor.findReports(this.repository.db.sql, partitionId, sopUids);
        if (reports.length > 0) await this.distributor.distribute(reports);
      }
    } catch (error) {
      throw new Retryable('reports could not be queued', { cause: error });
    }
  }
}
