import type { Config } from '@pacs/config';
import {
  DicomwebError,
  parseQidoQuery,
  requiredReturnAttributes,
  type QidoLevel,
  type QidoMatch,
} from '@pacs/dicomweb';
import {
  search,
  UnsupportedMatchError,
  type DicomJsonDataset,
  type IndexDatabase,
  type MatchCondition,
} from '@pacs/index';
import { CONFIG, INDEX_DATABASE } from '@pacs/runtime';
import { Inject, Injectable } from '@nestjs/common';
import { ExtendedQueryTagCatalog } from './extended-query-tag-catalog';

export interface QidoResult {
  rows: { studyUid: string; seriesUid?: string; sopUid?: string; dataset: DicomJsonDataset }[];
  warnings: string[];
}

const higherLevels: Record<QidoLevel, QidoLevel[]> = { study: [], series: ['study'], instance: ['study', 'series'] };

/** QIDO-RS searches against the index, with the standard's return-attribute rules (PS3.18 §10.6.3.3). */
@Injectable()
export class SearchService {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(INDEX_DATABASE) private readonly db: IndexDatabase,
    private readonly catalog: ExtendedQueryTagCatalog,
  ) {}

  async search(
    level: QidoLevel,
    query: Record<string, string | string[]>,
    scope: { studyUid?: string; seriesUid?: string },
    partitionId: number,
  ): Promise<QidoResult> {
    const extendedTags = await this.catalog.tags();
    const parsed = parseQidoQuery(level, query, {
      defaultLimit: this.config.PACS_QIDO_DEFAULT_LIMIT,
      maxLimit: this.config.PACS_QIDO_MAX_LIMIT,
      privateKeys: new Map(extendedTags.filter((t) => t.status === 'ready').map((t) => [t.tag, t.vr])),
    });
    const conditions = parsed.matches.map(toCondition);
    const includeAll = parsed.includeFields === 'all';
    const included = new Set(includeAll ? [] : parsed.includeFields);
    let result;
    try {
      result = await search(this.db.sql, {
        level,
        partitionId,
        studyUid: scope.studyUid,
        seriesUid: scope.seriesUid,
        conditions,
        fuzzy: parsed.fuzzyMatching,
        emptyValueMatching: parsed.emptyValueMatching,
        ...(parsed.timezoneOffsetMinutes !== undefined ? { timezoneOffsetMinutes: parsed.timezoneOffsetMinutes } : {}),
        extendedTags,
        limit: parsed.limit,
        offset: parsed.offset,
        withInstanceDataset: level === 'instance' && (includeAll || included.size > 0),
      });
    } catch (error) {
      if (error instanceof UnsupportedMatchError) throw new DicomwebError('BadRequest', error.message);
      throw error;
    }

    // PS3.18 §10.6.3.3: the required attributes of the level (and of the higher levels when the search is
    // not scoped to a study / series), the matching keys, and what includefield asks for.
    const returned = new Set<string>(requiredReturnAttributes(level));
    if (scope.studyUid === undefined)
      for (const higher of higherLevels[level]) for (const t of requiredReturnAttributes(higher)) returned.add(t);
    for (const m of parsed.matches) {
      returned.add(m.tag);
      if (m.kind === 'range' && m.time) returned.add(m.time.tag);
    }
    for (const t of included) returned.add(t);
    const rows = result.rows.map((row) => ({
      ...row,
      dataset: includeAll ? row.dataset : pick(row.dataset, returned),
    }));
    const warnings: string[] = [];
    if (parsed.limitClamped)
      warnings.push(`The limit was lowered to the maximum of ${this.config.PACS_QIDO_MAX_LIMIT}`);
    if (result.more) {
      warnings.push(
        `There are more matches than the ${parsed.limit} returned: use offset=${parsed.offset + parsed.limit} for the next page`,
      );
    }
    return { rows, warnings };
  }
}

function pick(dataset: DicomJsonDataset, tags: Set<string>): DicomJsonDataset {
  const out: DicomJsonDataset = {};
  for (const [tag, element] of Object.entries(dataset)) if (tags.has(tag)) out[tag] = element;
  return out;
}

/** The protocol's parsed matching key → the index's condition. */
export function toCondition(match: QidoMatch): MatchCondition {
  switch (match.kind) {
    case 'universal':
      return { kind: 'universal', tag: match.tag };
    case 'single':
      return { kind: 'single', tag: match.tag, value: match.value };
    case 'wildcard':
      return { kind: 'wildcard', tag: match.tag, pattern: match.pattern };
    case 'range':
      return {
        kind: 'range',
        tag: match.tag,
        ...(match.from !== undefined ? { from: match.from } : {}),
        ...(match.to !== undefined ? { to: match.to } : {}),
        ...(match.fromOffsetMinutes !== undefined ? { fromOffsetMinutes: match.fromOffsetMinutes } : {}),
        ...(match.toOffsetMinutes !== undefined ? { toOffsetMinutes: match.toOffsetMinutes } : {}),
        ...(match.time ? { timeTag: match.time.tag } : {}),
      };
    case 'uidList':
      return { kind: 'uidList', tag: match.tag, values: match.values };
    case 'multiple':
      return {
        kind: 'multiple',
        tag: match.tag,
        values: match.values.map((v) => (v.kind === 'single' ? v.value : v.pattern)),
      };
    case 'sequence':
      return { kind: 'sequence', tag: match.tag, items: match.items.map(toCondition) };
  }
}
