// Extended query tags: declared attributes become matching keys once the data stored before is re-indexed.
import { Tag } from '@pacs/dicom';
import {
  addExtendedQueryTags,
  deleteExtendedQueryTag,
  extendedTagColumns,
  ExtendedQueryTagError,
  getExtendedQueryTag,
  listExtendedQueryTags,
  reindexExtendedQueryTags,
  type ExtendedQueryTagDefinition,
} from '../extended-query-tags';
import type { IndexDatabase } from '../index-database';
import { writeInstances } from '../index-writer';
import { search, UnsupportedMatchError, type MatchCondition, type SearchQuery } from '../search';
import { instanceFixture } from '../testing/fixtures';

const partitionId = 31;
const el = (vr: string, ...values: unknown[]) => ({ vr, Value: values });

const definitions: ExtendedQueryTagDefinition[] = [
  { tag: Tag.PatientAge, keyword: 'PatientAge', vr: 'AS', level: 'study' },
  { tag: Tag.NameOfPhysiciansReadingStudy, keyword: 'NameOfPhysiciansReadingStudy', vr: 'PN', level: 'study' },
  { tag: Tag.SeriesDate, keyword: 'SeriesDate', vr: 'DA', level: 'series' },
  { tag: Tag.SeriesTime, keyword: 'SeriesTime', vr: 'TM', level: 'series' },
  { tag: Tag.ProtocolName, keyword: 'ProtocolName', vr: 'LO', level: 'series' },
  { tag: Tag.SliceThickness, keyword: 'SliceThickness', vr: 'DS', level: 'instance' },
  { tag: Tag.ImageType, keyword: 'ImageType', vr: 'CS', level: 'instance' },
  { tag: Tag.AcquisitionDateTime, keyword: 'AcquisitionDateTime', vr: 'DT', level: 'instance' },
  { tag: '00091010', keyword: '', vr: 'LO', level: 'instance' },
];

export function describeExtendedTagsContract(database: () => IndexDatabase): void {
  describe('extended query tags', () => {
    const q = async (level: SearchQuery['level'], conditions: MatchCondition[], extra: Partial<SearchQuery> = {}) =>
      search(database().sql, {
        level,
        partitionId,
        conditions,
        fuzzy: false,
        limit: 100,
        offset: 0,
        extendedTags: await extendedTagColumns(database().sql),
        ...extra,
      });
    const uids = async (level: SearchQuery['level'], conditions: MatchCondition[], extra: Partial<SearchQuery> = {}) =>
      (await q(level, conditions, extra)).rows.map((r) => r.sopUid ?? r.seriesUid ?? r.studyUid).sort();
    const single = (tag: string, value: string): MatchCondition => ({ kind: 'single', tag, value });

    const before = instanceFixture({
      partitionId,
      attributes: {
        [Tag.PatientAge]: el('AS', '045Y'),
        [Tag.NameOfPhysiciansReadingStudy]: el('PN', { Alphabetic: 'Reader^Rita' }, { Alphabetic: 'Zweit^Zoë' }),
        [Tag.SeriesDate]: el('DA', '20240301'),
        [Tag.SeriesTime]: el('TM', '1030'),
        [Tag.ProtocolName]: el('LO', 'Chest Routine'),
        [Tag.SliceThickness]: el('DS', '1.25'),
        [Tag.ImageType]: el('CS', 'ORIGINAL', 'PRIMARY', 'AXIAL'),
        [Tag.AcquisitionDateTime]: el('DT', '20240301103000+0100'),
        ['00091010']: el('LO', 'private value'),
      },
    });
    const other = instanceFixture({ partitionId, attributes: { [Tag.SliceThickness]: el('DS', 5) } });

    afterAll(async () => {
      for (const d of definitions) await deleteExtendedQueryTag(database().sql, d.tag);
    });

    it('re-indexes what was stored before, with progress, then matches on the tags', async () => {
      await writeInstances(database().sql, [before, other]);
      const added = await addExtendedQueryTags(database().sql, definitions);
      expect(added.map((t) => [t.tag, t.status, t.percent])).toEqual(definitions.map((d) => [d.tag, 'reindexing', 0]));
      expect(added[0]!.total).toBeGreaterThanOrEqual(2);
      await expect(q('study', [single(Tag.PatientAge, '045Y')])).rejects.toThrow(/being re-indexed \(0 %\)/);

      // One small step first: progress shows, the tag is not ready.
      const step = await reindexExtendedQueryTags(database().sql, 1);
      expect(step).toMatchObject({ processed: 1, ready: false });
      const [first] = (await listExtendedQueryTags(database().sql)).filter((t) => t.tag === step!.tag);
      expect(first!.done).toBe(1);
      expect(first!.status).toBe('reindexing');

      while (await reindexExtendedQueryTags(database().sql, 1000)) {
        /* until every tag is ready */
      }
      const tags = await listExtendedQueryTags(database().sql);
      expect(tags.filter((t) => definitions.some((d) => d.tag === t.tag)).map((t) => [t.status, t.percent])).toEqual(
        definitions.map(() => ['ready', 100]),
      );

      expect(await uids('study', [single(Tag.PatientAge, '045Y')])).toEqual([before.studyUid]);
      expect(
        await uids('study', [{ kind: 'wildcard', tag: Tag.NameOfPhysiciansReadingStudy, pattern: 'zweit*' }]),
      ).toEqual([before.studyUid]);
      expect(await uids('series', [{ kind: 'range', tag: Tag.SeriesDate, from: '20240301', to: '20240331' }])).toEqual([
        before.seriesUid,
      ]);
      expect(
        await uids('series', [{ kind: 'range', tag: Tag.SeriesTime, from: '103000.000000', to: '110000.000000' }]),
      ).toEqual([before.seriesUid]);
      expect(await uids('series', [{ kind: 'wildcard', tag: Tag.ProtocolName, pattern: 'Chest*' }])).toEqual([
        before.seriesUid,
      ]);
      expect(await uids('instance', [single(Tag.SliceThickness, '1.250')])).toEqual([before.sopUid]);
      expect(await uids('instance', [single(Tag.SliceThickness, '5')])).toEqual([other.sopUid]);
      expect(await uids('instance', [single(Tag.ImageType, 'AXIAL')])).toEqual([before.sopUid]);
      expect(await uids('instance', [single('00091010', 'private value')])).toEqual([before.sopUid]);
      // 10:30 at +01:00 is 09:30 UTC.
      const dt = (from: string, to: string, offset?: number): MatchCondition => ({
        kind: 'range',
        tag: Tag.AcquisitionDateTime,
        from,
        to,
        ...(offset !== undefined ? { fromOffsetMinutes: offset, toOffsetMinutes: offset } : {}),
      });
      expect(await uids('instance', [dt('20240301092900.000000', '20240301093100.000000')])).toEqual([before.sopUid]);
      expect(await uids('instance', [dt('20240301102900.000000', '20240301103100.000000', 60)])).toEqual([
        before.sopUid,
      ]);
      expect(await uids('instance', [dt('20240301102900.000000', '20240301103100.000000')])).toEqual([]);
      // Combined matching on a declared date and time pair.
      const combined: MatchCondition = {
        kind: 'range',
        tag: Tag.SeriesDate,
        timeTag: Tag.SeriesTime,
        from: '20240301100000.000000',
        to: '20240302000000.000000',
      };
      expect(await uids('series', [combined])).toEqual([before.seriesUid]);
      expect(await uids('series', [{ ...combined, from: '20240301103001.000000' }])).toEqual([]);
      // emptyvaluematching: entities without the attribute match too.
      expect(await uids('series', [single(Tag.ProtocolName, 'nothing')], { emptyValueMatching: true })).toEqual([
        other.seriesUid,
      ]);
      // Results carry the attribute they matched on.
      const [study] = (await q('study', [single(Tag.PatientAge, '045Y')])).rows;
      expect(study!.dataset[Tag.PatientAge]!.Value).toEqual(['045Y']);
      const [series] = (await q('series', [single(Tag.ProtocolName, 'Chest Routine')])).rows;
      expect(series!.dataset[Tag.ProtocolName]!.Value).toEqual(['Chest Routine']);
    });

    it('indexes the declared tags of every instance stored after the declaration', async () => {
      const later = instanceFixture({
        partitionId,
        attributes: { [Tag.PatientAge]: el('AS', '030Y'), [Tag.ImageType]: el('CS', 'DERIVED', 'SECONDARY') },
      });
      await writeInstances(database().sql, [later]);
      expect(await uids('study', [single(Tag.PatientAge, '030Y')])).toEqual([later.studyUid]);
      expect(
        await uids('instance', [{ kind: 'multiple', tag: Tag.ImageType, values: ['SECONDARY', 'AXIAL'] }]),
      ).toEqual([before.sopUid, later.sopUid].sort());
      const [row] = (await q('instance', [single(Tag.ImageType, 'DERIVED')])).rows;
      expect(row!.dataset[Tag.ImageType]!.Value).toEqual(['DERIVED', 'SECONDARY']);
    });

    it('refuses a tag declared twice and a VR that cannot be indexed', async () => {
      await expect(addExtendedQueryTags(database().sql, [definitions[0]!])).rejects.toMatchObject({ kind: 'conflict' });
      await expect(
        addExtendedQueryTags(database().sql, [
          { tag: Tag.ImageComments, keyword: 'ImageComments', vr: 'LT', level: 'instance' },
        ]),
      ).rejects.toThrow(ExtendedQueryTagError);
      expect(await getExtendedQueryTag(database().sql, Tag.ImageComments)).toBeUndefined();
    });

    it('stops matching on a deleted tag and drops its values', async () => {
      expect(await deleteExtendedQueryTag(database().sql, Tag.ProtocolName)).toBe(true);
      expect(await deleteExtendedQueryTag(database().sql, Tag.ProtocolName)).toBe(false);
      await expect(q('series', [single(Tag.ProtocolName, 'Chest Routine')])).rejects.toThrow(UnsupportedMatchError);
      const [{ n }] = await database().sql.query<{ n: bigint }>(
        `SELECT count(*) AS n FROM series_extended_value v WHERE NOT EXISTS (SELECT 1 FROM extended_query_tag t WHERE t.pk = v.tag_pk)`,
      );
      expect(Number(n)).toBe(0);
    });
  });
}
