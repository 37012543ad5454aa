import { extendedTagColumns, type ExtendedTagColumn, type IndexDatabase } from '@pacs/index';
import { INDEX_DATABASE } from '@pacs/runtime';
import { Inject, Injectable } from '@nestjs/common';

/**
 * The declared extended query tags as searches need them, read at most every `maxAgeMs`: a search costs no extra
 * query, and a tag declared or re-indexed by another replica becomes matchable within that time (this replica's
 * own changes at once, through invalidate()).
 */
@Injectable()
export class ExtendedQueryTagCatalog {
  static readonly maxAgeMs = 2_000;
  private cached?: { at: number; tags: Promise<ExtendedTagColumn[]> };

  constructor(@Inject(INDEX_DATABASE) private readonly db: IndexDatabase) {}

  tags(): Promise<ExtendedTagColumn[]> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at > ExtendedQueryTagCatalog.maxAgeMs) {
      const tags = extendedTagColumns(this.db.sql);
      this.cached = { at: now, tags };
      tags.catch(() => {
        if (this.cached?.tags === tags) this.cached = undefined;
      });
    }
    return this.cached.tags;
  }

  invalidate(): void {
    this.cached = undefined;
  }
}
