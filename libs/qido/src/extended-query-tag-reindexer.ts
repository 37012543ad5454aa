import { reindexExtendedQueryTags, type IndexDatabase } from '@pacs/index';
import { INDEX_DATABASE, LOGGER, type Logger } from '@pacs/runtime';
import { Inject, Injectable } from '@nestjs/common';
import { ExtendedQueryTagCatalog } from './extended-query-tag-catalog';

/**
 * Re-indexes the data stored before an extended query tag was declared, in the background: one batch per
 * transaction (reindexExtendedQueryTags), one after the other while there is work, then a look every
 * `idleMs`. Replicas share the work safely: a tag is re-indexed by one of them at a time (SKIP LOCKED).
 */
@Injectable()
export class ExtendedQueryTagReindexer {
  static readonly batchSize = 500;
  static readonly idleMs = 2_000;
  private running?: Promise<void>;
  private stopped = false;
  private wake?: () => void;

  constructor(
    @Inject(INDEX_DATABASE) private readonly db: IndexDatabase,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly catalog: ExtendedQueryTagCatalog,
  ) {}

  start(): void {
    this.stopped = false;
    this.running ??= this.loop();
  }

  /** Looks for work now (a tag was just declared). */
  poke(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
    this.running = undefined;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let busy = false;
      try {
        const step = await reindexExtendedQueryTags(this.db.sql, ExtendedQueryTagReindexer.batchSize);
        busy = step !== undefined;
        if (step?.ready) {
          this.catalog.invalidate();
          this.logger.info({ tag: step.tag }, 'extended query tag re-indexed: ready for matching');
        }
      } catch (error) {
        this.logger.warn(
          { err: error instanceof Error ? error.message : String(error) },
          're-indexing failed, retrying',
        );
      }
      if (!busy && !this.stopped) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, ExtendedQueryTagReindexer.idleMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
    }
  }
}
