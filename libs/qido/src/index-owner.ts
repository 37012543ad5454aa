import { applyMigrations, type IndexDatabase } from '@pacs/index';
import { INDEX_DATABASE, LOGGER, type Logger } from '@pacs/runtime';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ExtendedQueryTagReindexer } from './extended-query-tag-reindexer';
import { InstanceDeletedConsumer } from './instance-deleted.consumer';
import { InstanceStoredConsumer } from './instance-stored.consumer';
import { PatientEventsConsumer } from './patient-events.consumer';

/**
 * The index owner's start and stop, in order: the migrations first (every consumer writes the latest schema),
 * then the consumers of instance.stored, instance.deleted, patient.updated and patients.merged, and the
 * background re-indexing of extended query tags. Before shutdown everything stops, waiting for the batches in
 * hand, so that the database is closed after the last write.
 */
@Injectable()
export class IndexOwner implements OnModuleInit, BeforeApplicationShutdown {
  constructor(
    @Inject(INDEX_DATABASE) private readonly db: IndexDatabase,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly stored: InstanceStoredConsumer,
    private readonly deleted: InstanceDeletedConsumer,
    private readonly patients: PatientEventsConsumer,
    private readonly reindexer: ExtendedQueryTagReindexer,
  ) {}

  async onModuleInit(): Promise<void> {
    const applied = await applyMigrations(this.db.sql);
    if (applied.length > 0) this.logger.info({ migrations: applied }, 'index migrations applied');
    // Each consumer joins a group of its own (one per topic): they can join at the same time.
    await Promise.all([this.stored.start(), this.deleted.start(), this.patients.start()]);
    this.reindexer.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.reindexer.stop();
    await Promise.all([this.stored.stop(), this.deleted.stop(), this.patients.stop()]);
  }
}
