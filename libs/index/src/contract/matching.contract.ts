// Each matching type of PS3.4 §C.2.2.2 (and the QIDO-RS parameters of PS3.18 §8.3.4) at each level, on a small
// archive whose answers are worked out by hand.
import { Tag } from '@pacs/dicom';
import type { IndexDatabase } from '../index-database';
import { writeInstances, type InstanceRecord } from '../index-writer';
import { search, UnsupportedMatchError, type MatchCondition, type SearchQuery } from '../search';
import { instanceFixture } from '../testing/fixtures';

const partitionId = 11;
const MR = '1.2.840.10008.5.1.4.1.1.4';
const SR = '1.2.840.10008.5.1.4.1.1.88.11';

const el = (vr: string, value: unknown) => ({ vr, Value: [value] });
const requests = (...items: [sps: string, rp: string][]) => ({
  [Tag.RequestAttributesSequence]: {
    vr: 'SQ',
    Value: items.map(([sps, rp]) => ({
      [Tag.ScheduledProcedureStepID]: el('SH', sps),
      [Tag.RequestedProcedureID]: el('SH', rp),
    })),
  },
});

export function describeMatchingContract(database: () => IndexDatabase): void {
  describe('matching (PS3.4 §C.2.2.2) at each level', () => {
    const study = (n: number) => `2.25.11.${n}`;
    const series = (s: number, n: number) => `${study(s)}.${n}`;
    const sop = (s: number, e: number, n: number) => `${series(s, e)}.${n}`;
    const instance = (s: number, e: number, n: number, o: Parameters<typeof instanceFixture>[0] = {}) =>
      instanceFixture({
        partitionId,
        study: study(s),
        series: series(s, e),
        sop: sop(s, e, n),
        instanceNumber: n,
        ...o,
      });
    let archive: InstanceRecord[];

    const q = (level: SearchQuery['level'], conditions: MatchCondition[], extra: Partial<SearchQuery> = {}) =>
      search(database().sql, { level, partitionId, conditions, fuzzy: false, limit: 100, offset: 0, ...extra });
    const uids = async (level: SearchQuery['level'], conditions: MatchCondition[], extra: Partial<SearchQuery> = {}) =>
      (await q(level, conditions, extra)).rows.map((r) => r.sopUid ?? r.seriesUid ?? r.studyUid).sort();
    const single = (tag: string, value: string): MatchCondition => ({ kind: 'single', tag, value });
    const range = (tag: string, from?: string, to?: string, timeTag?: string): MatchCondition => ({
      kind: 'range',
      tag,
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
      ...(timeTag ? { timeTag } : {}),
    });

    beforeAll(async () => {
      const a = { patientId: 'PA', patientName: 'Müller^Hans', birthDate: '19700101' };
      const s1 = {
        ...a,
        studyDate: '20240110',
        studyTime: '080000',
        timezone: '+0100',
        accession: 'ACC-1',
        modality: 'CT',
      };
      const s1Series = {
        [Tag.StudyDescription]: el('LO', 'CT Chest'),
        [Tag.PerformedProcedureStepStartDate]: el('DA', '20240110'),
        [Tag.PerformedProcedureStepStartTime]: el('TM', '0805'),
        [Tag.ContentDate]: el('DA', '20240110'),
        [Tag.ContentTime]: el('TM', '081000'),
        [Tag.SeriesDescription]: el('LO', 'Thorax 1mm'),
        ...requests(['SPS-1', 'RP-1']),
      };
      const s2 = { ...a, studyDate: '20240120', studyTime: '230000', accession: 'ACC-2', modality: 'MR', sopClass: MR };
      const s2Extra = {
        [Tag.StudyDescription]: el('LO', 'MR Brain'),
        [Tag.ReferringPhysicianName]: el('PN', { Alphabetic: 'Ödegård^Kari' }),
        ...requests(['SPS-2', 'RP-1'], ['SPS-3', 'RP-2']),
      };
      const b = { patientId: 'PB', issuer: 'HOSP', patientName: 'Mueller^Greta', birthDate: '19850505' };
      const s3 = { ...b, studyDate: '20240201', studyTime: '120000', timezone: '-0500', accession: 'acc-3' };
      const c = {
        patientId: 'PC',
        attributes: {
          [Tag.PatientName]: el('PN', { Alphabetic: 'Yamada^Tarou', Ideographic: '山田^太郎' }),
          [Tag.StudyDate]: { vr: 'DA' },
          [Tag.StudyTime]: { vr: 'TM' },
          [Tag.AccessionNumber]: { vr: 'SH' },
          [Tag.Modality]: { vr: 'CS' },
          [Tag.PatientBirthDate]: { vr: 'DA' },
        },
      };
      archive = [
        instance(1, 1, 1, { ...s1, attributes: s1Series }),
        instance(1, 1, 2, { ...s1, attributes: { ...s1Series, [Tag.Rows]: el('US', 256) } }),
        instance(2, 1, 1, { ...s2, attributes: s2Extra }),
        instance(3, 1, 1, { ...s3, modality: 'US' }),
        instance(3, 2, 1, { ...s3, modality: 'SR', seriesNumber: 2, sopClass: SR }),
        instance(4, 1, 1, c),
      ];
      await writeInstances(database().sql, archive);
    });

    describe('Single Value Matching', () => {
      it('matches exactly and case-sensitively at the study level', async () => {
        expect(await uids('study', [single(Tag.AccessionNumber, 'ACC-1')])).toEqual([study(1)]);
        expect(await uids('study', [single(Tag.AccessionNumber, 'acc-1')])).toEqual([]);
        expect(await uids('study', [single(Tag.PatientID, 'PB'), single(Tag.IssuerOfPatientID, 'HOSP')])).toEqual([
          study(3),
        ]);
        expect(await uids('study', [single(Tag.PatientBirthDate, '19850505')])).toEqual([study(3)]);
      });

      it('matches person names without regard to case, accents and trailing delimiters', async () => {
        expect(await uids('study', [single(Tag.PatientName, 'MULLER^HANS^^')])).toEqual([study(1), study(2)]);
        expect(await uids('study', [single(Tag.ReferringPhysicianName, 'odegard^kari')])).toEqual([study(2)]);
        expect(await uids('study', [single(Tag.PatientName, 'Muller')])).toEqual([]);
      });

      it('matches at the series and instance levels', async () => {
        expect(await uids('series', [single(Tag.Modality, 'MR')])).toEqual([series(2, 1)]);
        expect(await uids('series', [single(Tag.SeriesNumber, '2')])).toEqual([series(3, 2)]);
        expect(await uids('instance', [single(Tag.InstanceNumber, '2')])).toEqual([sop(1, 1, 2)]);
        expect(await uids('instance', [single(Tag.SOPClassUID, SR)])).toEqual([sop(3, 2, 1)]);
        expect(await uids('instance', [single(Tag.Rows, '256')])).toEqual([sop(1, 1, 2)]);
      });
    });

    describe('Universal Matching', () => {
      it('puts no condition on an attribute given without a value, at every level', async () => {
        const all = await uids('study', []);
        expect(await uids('study', [{ kind: 'universal', tag: Tag.ModalitiesInStudy }])).toEqual(all);
        expect(await uids('study', [{ kind: 'universal', tag: Tag.PatientComments }])).toEqual(all);
        expect(await uids('series', [{ kind: 'universal', tag: Tag.Modality }])).toHaveLength(5);
        expect(await uids('instance', [{ kind: 'universal', tag: Tag.BitsAllocated }])).toHaveLength(6);
        expect(await uids('study', [{ kind: 'wildcard', tag: Tag.AccessionNumber, pattern: '*' }])).toEqual(all);
      });
    });

    describe('Wild Card Matching', () => {
      it('matches * and ? at the study level, case-sensitively except for names', async () => {
        expect(await uids('study', [{ kind: 'wildcard', tag: Tag.AccessionNumber, pattern: 'ACC-?' }])).toEqual([
          study(1),
          study(2),
        ]);
        expect(await uids('study', [{ kind: 'wildcard', tag: Tag.StudyDescription, pattern: '*Brain' }])).toEqual([
          study(2),
        ]);
        expect(await uids('study', [{ kind: 'wildcard', tag: Tag.StudyDescription, pattern: '*chest' }])).toEqual([]);
        expect(await uids('study', [{ kind: 'wildcard', tag: Tag.PatientName, pattern: 'mu?ller*' }])).toEqual([
          study(3),
        ]);
        expect(await uids('study', [{ kind: 'wildcard', tag: Tag.PatientName, pattern: 'MÜL*' }])).toEqual([
          study(1),
          study(2),
        ]);
      });

      it('takes % and _ literally', async () => {
        expect(await uids('study', [{ kind: 'wildcard', tag: Tag.AccessionNumber, pattern: 'ACC_*' }])).toEqual([]);
        expect(await uids('study', [{ kind: 'wildcard', tag: Tag.AccessionNumber, pattern: '%*' }])).toEqual([]);
      });

      it('matches at the series and instance levels, and in ModalitiesInStudy', async () => {
        expect(await uids('series', [{ kind: 'wildcard', tag: Tag.SeriesDescription, pattern: 'Thorax*' }])).toEqual([
          series(1, 1),
        ]);
        expect(await uids('instance', [{ kind: 'wildcard', tag: Tag.PatientName, pattern: 'mue*' }])).toEqual([
          sop(3, 1, 1),
          sop(3, 2, 1),
        ]);
        expect(await uids('study', [{ kind: 'wildcard', tag: Tag.ModalitiesInStudy, pattern: 'S?' }])).toEqual([
          study(3),
        ]);
      });
    });

    describe('Range Matching', () => {
      it('matches closed and open date ranges at each level', async () => {
        expect(await uids('study', [range(Tag.StudyDate, '20240115', '20240131')])).toEqual([study(2)]);
        expect(await uids('study', [range(Tag.StudyDate, '20240120')])).toEqual([study(2), study(3)]);
        expect(await uids('study', [range(Tag.StudyDate, undefined, '20240110')])).toEqual([study(1)]);
        expect(await uids('study', [range(Tag.PatientBirthDate, '19800101')])).toEqual([study(3)]);
        expect(await uids('series', [range(Tag.PerformedProcedureStepStartDate, '20240110', '20240110')])).toEqual([
          series(1, 1),
        ]);
        expect(await uids('instance', [range(Tag.ContentDate, '20240101', '20240111')])).toEqual([
          sop(1, 1, 1),
          sop(1, 1, 2),
        ]);
      });

      it('matches time ranges within a day', async () => {
        expect(await uids('study', [range(Tag.StudyTime, '075959.000000', '120000.000000')])).toEqual([
          study(1),
          study(3),
        ]);
        expect(await uids('series', [range(Tag.PerformedProcedureStepStartTime, '080500.000000')])).toEqual([
          series(1, 1),
        ]);
        expect(await uids('instance', [range(Tag.ContentTime, undefined, '080959.999999')])).toEqual([]);
      });

      it('treats a date range with a time range as one date-time range', async () => {
        // 2024-01-10 08:00 is before 2024-01-10 09:00; 2024-01-20 23:00 is after 2024-01-20 22:00.
        const dt = (from?: string, to?: string) => range(Tag.StudyDate, from, to, Tag.StudyTime);
        expect(await uids('study', [dt('20240110090000.000000', '20240120220000.000000')])).toEqual([]);
        expect(await uids('study', [dt('20240110070000.000000', '20240120235959.999999')])).toEqual([
          study(1),
          study(2),
        ]);
        expect(await uids('study', [dt('20240120225959.000000')])).toEqual([study(2), study(3)]);
        const pps = range(
          Tag.PerformedProcedureStepStartDate,
          '20240110080000.000000',
          '20240110080500.000000',
          Tag.PerformedProcedureStepStartTime,
        );
        expect(await uids('series', [pps])).toEqual([series(1, 1)]);
        const content = range(Tag.ContentDate, '20240110081001.000000', undefined, Tag.ContentTime);
        expect(await uids('instance', [content])).toEqual([]);
      });

      it('moves dates and times to the query offset when TimezoneOffsetFromUTC is given', async () => {
        // Study 1 is 2024-01-10 08:00 at +01:00 (07:00 UTC); study 3 is 2024-02-01 12:00 at -05:00 (17:00 UTC).
        const dt = (from: string, to: string) => range(Tag.StudyDate, from, to, Tag.StudyTime);
        const window = [dt('20240110063000.000000', '20240110073000.000000')];
        expect(await uids('study', window)).toEqual([]);
        expect(await uids('study', window, { timezoneOffsetMinutes: 0 })).toEqual([study(1)]);
        expect(
          await uids('study', [range(Tag.StudyTime, '173000.000000', '183000.000000')], { timezoneOffsetMinutes: 60 }),
        ).toEqual([study(3)]);
        // 07:00 UTC on the 10th is still the 9th at -10:00.
        expect(
          await uids('study', [range(Tag.StudyDate, '20240110', '20240110')], { timezoneOffsetMinutes: -600 }),
        ).toEqual([]);
        expect(
          await uids('study', [range(Tag.StudyDate, '20240109', '20240109')], { timezoneOffsetMinutes: -600 }),
        ).toEqual([study(1)]);
        // A study without an offset of its own is compared as it is.
        expect(
          await uids('study', [range(Tag.StudyDate, '20240120', '20240120')], { timezoneOffsetMinutes: -600 }),
        ).toEqual([study(2)]);
      });
    });

    describe('List of UID Matching', () => {
      it('matches any UID of the list at each level', async () => {
        const list = (tag: string, values: string[]): MatchCondition => ({ kind: 'uidList', tag, values });
        expect(await uids('study', [list(Tag.StudyInstanceUID, [study(1), study(3), '1.2.3'])])).toEqual([
          study(1),
          study(3),
        ]);
        expect(await uids('series', [list(Tag.SeriesInstanceUID, [series(3, 2), series(2, 1)])])).toEqual([
          series(2, 1),
          series(3, 2),
        ]);
        expect(await uids('instance', [list(Tag.SOPInstanceUID, [sop(1, 1, 2), '9.9'])])).toEqual([sop(1, 1, 2)]);
        expect(await uids('study', [list(Tag.SOPClassesInStudy, [SR, MR])])).toEqual([study(2), study(3)]);
      });
    });

    describe('Multiple Value Matching', () => {
      it('matches any of the values, each single or wild card', async () => {
        const multiple = (tag: string, values: string[]): MatchCondition => ({ kind: 'multiple', tag, values });
        expect(await uids('study', [multiple(Tag.ModalitiesInStudy, ['MR', 'US'])])).toEqual([study(2), study(3)]);
        expect(await uids('series', [multiple(Tag.Modality, ['CT', 'S*'])])).toEqual([series(1, 1), series(3, 2)]);
        expect(await uids('study', [multiple(Tag.PatientName, ['doe^john', 'mueller^greta'])])).toEqual([study(3)]);
      });
    });

    describe('Sequence Matching', () => {
      const seq = (...items: MatchCondition[]): MatchCondition => ({
        kind: 'sequence',
        tag: Tag.RequestAttributesSequence,
        items,
      });
      it('matches when one item matches every item key', async () => {
        expect(await uids('series', [seq(single(Tag.ScheduledProcedureStepID, 'SPS-1'))])).toEqual([series(1, 1)]);
        expect(await uids('series', [seq(single(Tag.RequestedProcedureID, 'RP-1'))])).toEqual([
          series(1, 1),
          series(2, 1),
        ]);
        // SPS-2 and RP-2 are in two different items.
        expect(
          await uids('series', [
            seq(single(Tag.ScheduledProcedureStepID, 'SPS-2'), single(Tag.RequestedProcedureID, 'RP-2')),
          ]),
        ).toEqual([]);
        expect(
          await uids('series', [
            seq(single(Tag.ScheduledProcedureStepID, 'SPS-3'), single(Tag.RequestedProcedureID, 'RP-2')),
          ]),
        ).toEqual([series(2, 1)]);
        expect(
          await uids('instance', [seq({ kind: 'wildcard', tag: Tag.ScheduledProcedureStepID, pattern: 'SPS-?' })]),
        ).toEqual([sop(1, 1, 1), sop(1, 1, 2), sop(2, 1, 1)]);
      });

      it('refuses item keys the index does not keep, and sequences at the study level', async () => {
        await expect(q('series', [seq(single(Tag.StudyComments, 'x'))])).rejects.toThrow(UnsupportedMatchError);
        await expect(q('study', [seq(single(Tag.ScheduledProcedureStepID, 'x'))])).rejects.toThrow(
          UnsupportedMatchError,
        );
      });
    });

    describe('fuzzymatching=true (PS3.18 §8.3.4.2)', () => {
      it('matches query words as the starts of any words of the name, in any component group', async () => {
        const fuzzy = { fuzzy: true };
        expect(await uids('study', [single(Tag.PatientName, 'gre')], fuzzy)).toEqual([study(3)]);
        expect(await uids('study', [single(Tag.PatientName, 'hans mü')], fuzzy)).toEqual([study(1), study(2)]);
        expect(await uids('study', [single(Tag.PatientName, '山田')], fuzzy)).toEqual([study(4)]);
        expect(await uids('study', [{ kind: 'wildcard', tag: Tag.PatientName, pattern: 'tar*' }], fuzzy)).toEqual([
          study(4),
        ]);
        expect(await uids('study', [single(Tag.ReferringPhysicianName, 'kar')], fuzzy)).toEqual([study(2)]);
        expect(await uids('series', [single(Tag.PatientName, 'greta mueller')], fuzzy)).toEqual([
          series(3, 1),
          series(3, 2),
        ]);
        expect(await uids('study', [single(Tag.PatientName, 'hansi')], fuzzy)).toEqual([]);
      });
    });

    describe('emptyvaluematching=true', () => {
      it('also matches entities without a value', async () => {
        const evm = { emptyValueMatching: true };
        expect(await uids('study', [range(Tag.StudyDate, '20240201')], evm)).toEqual([study(3), study(4)]);
        expect(await uids('study', [single(Tag.ModalitiesInStudy, 'CT')], evm)).toEqual([study(1), study(4)]);
        expect(await uids('study', [single(Tag.AccessionNumber, 'ACC-1')], evm)).toEqual([study(1), study(4)]);
        expect(await uids('series', [single(Tag.Modality, 'MR')], evm)).toEqual([series(2, 1), series(4, 1)]);
        const sps: MatchCondition = {
          kind: 'sequence',
          tag: Tag.RequestAttributesSequence,
          items: [single(Tag.ScheduledProcedureStepID, 'SPS-1')],
        };
        expect(await uids('series', [sps], evm)).toEqual([series(1, 1), series(3, 1), series(3, 2), series(4, 1)]);
      });
    });

    describe('paging', () => {
      it('orders studies newest first and pages with limit and offset', async () => {
        const page1 = await q('study', [], { limit: 2, offset: 0 });
        const page2 = await q('study', [], { limit: 2, offset: 2 });
        expect(page1.more).toBe(true);
        expect(page2.more).toBe(false);
        // A study without a date comes first (DESC puts NULLs first, as the index is read).
        expect([...page1.rows, ...page2.rows].map((r) => r.studyUid)).toEqual([study(4), study(3), study(2), study(1)]);
      });

      it('orders series by study and series number, instances by series and instance number', async () => {
        expect((await q('series', [], { studyUid: study(3) })).rows.map((r) => r.seriesUid)).toEqual([
          series(3, 1),
          series(3, 2),
        ]);
        expect(
          (await q('instance', [], { studyUid: study(1), seriesUid: series(1, 1), limit: 1, offset: 1 })).rows.map(
            (r) => r.sopUid,
          ),
        ).toEqual([sop(1, 1, 2)]);
      });
    });

    describe('results', () => {
      it('carry the stored attributes of their level and the computed ones', async () => {
        const [s] = (await q('study', [single(Tag.StudyInstanceUID, study(3))])).rows;
        expect(s!.dataset[Tag.ModalitiesInStudy]!.Value).toEqual(['SR', 'US']);
        expect(s!.dataset[Tag.NumberOfStudyRelatedSeries]!.Value).toEqual([2]);
        expect(s!.dataset[Tag.IssuerOfPatientID]!.Value).toEqual(['HOSP']);
        const [i] = (await q('instance', [single(Tag.SOPInstanceUID, sop(3, 2, 1))])).rows;
        expect(i!.dataset[Tag.Modality]!.Value).toEqual(['SR']);
        expect(i!.dataset[Tag.PatientID]!.Value).toEqual(['PB']);
        expect(i!.dataset[Tag.NumberOfSeriesRelatedInstances]!.Value).toEqual([1]);
        expect(i!.dataset[Tag.InstanceAvailability]!.Value).toEqual(['ONLINE']);
      });
    });

    it('refuses matching on attributes it does not index, or below the level', async () => {
      await expect(q('study', [single(Tag.PatientComments, 'x')])).rejects.toThrow(UnsupportedMatchError);
      await expect(q('study', [single(Tag.SOPInstanceUID, '1.2')])).rejects.toThrow(UnsupportedMatchError);
      await expect(q('series', [single(Tag.Rows, '1')])).rejects.toThrow(UnsupportedMatchError);
    });
  });
}
