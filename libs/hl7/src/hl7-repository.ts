import { type IndexDatabase } from '@pacs/index';
import { INDEX_DATABASE, LOGGER, type Logger } from '@pacs/runtime';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { Hl7Store } from './hl7-store';

/** The feature's store in the index's database: migrated when the module starts, before anything uses it. */
@Injectable()
export class Hl7Repository implements OnModuleInit {
  readonly store: Hl7Store;

  constructor(
    @Inject(INDEX_DATABASE) readonly db: IndexDatabase,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.store = new Hl7Store(db.sql);
  }

  async onModuleInit(): Promise<void> {
    const applied = await this.store.migrate();
    if (applied.length > 0) this.logger.info({ migrations: applied }, 'hl7 migrations applied');
  }
}
