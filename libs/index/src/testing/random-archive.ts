// Random archives and random QIDO-RS queries over them (fast-check arbitraries), for comparing the index with the
// oracle. Values come from small pools with case, accent, delimiter and wild card traps, so that queries match
// often and the edge cases of PS3.4 §C.2.2.2 come up.
import { Tag } from '@pacs/dicom';
import fc from 'fast-check';
import type { DicomJsonDataset } from '../dataset-values';
import type { InstanceRecord } from '../index-writer';
import type { MatchCondition, SearchLevel, SearchQuery } from '../search';

const names = [
  'Müller^Hans',
  'MULLER^hans',
  'Mueller^Greta',
  'Doe^John',
  'Doe^Jane^^',
  'doe^john^A^Dr.',
  "O'Brien^Seán",
  'Smith-Jones^Anna Maria',
  'Yamada^Tarou=山田^太郎=やまだ^たろう',
  'Zoë^Ångström',
] as const;
const patientIds = ['P1', 'P2', 'p1', 'P_3', 'P%4'] as const;
const issuers = ['', 'HOSP-A'] as const;
const dates = ['20231231', '20240110', '20240111', '20240131', '20240201', '20240229'] as const;
const times = ['000000', '0800', '080000.5', '101500', '120000', '235959.999999', '23'] as const;
const zones = ['+0100', '-0500', '+0000', '+1400', '-1200'] as const;
const accessions = ['ACC1', 'acc1', 'ACC_2', 'ACC%3', 'ACC12', 'A*B'] as const;
const descriptions = ['CT Chest', 'ct chest', 'MR Brain', 'CT Chest w/o', 'Ünterbauch'] as const;
const modalities = ['CT', 'MR', 'US', 'SR', 'PT'] as const;
const sopClasses = ['1.2.840.10008.5.1.4.1.1.2', '1.2.840.10008.5.1.4.1.1.4', '1.2.840.10008.5.1.4.1.1.88.11'] as const;
const stepIds = ['SPS-1', 'SPS-2', 'sps-1', 'RP-1'] as const;
const bodyParts = ['CHEST', 'HEAD', 'ABDOMEN'] as const;

const maybe = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined, freq: 4 });

interface PatientSpec {
  id: string;
  issuer: string;
  name?: string;
  birthDate?: string;
  sex?: string;
}
interface StudySpec {
  patient: number;
  date?: string;
  time?: string;
  zone?: string;
  accession?: string;
  description?: string;
  referring?: string;
  studyId?: string;
  series: SeriesSpec[];
}
interface SeriesSpec {
  modality?: string;
  number?: number;
  description?: string;
  bodyPart?: string;
  ppsDate?: string;
  ppsTime?: string;
  requests: { sps?: string; rp?: string }[];
  instances: InstanceSpec[];
}
interface InstanceSpec {
  sopClass: string;
  number?: number;
  rows?: number;
  contentDate?: string;
  contentTime?: string;
}

const patientArb: fc.Arbitrary<PatientSpec> = fc.record({
  id: fc.constantFrom(...patientIds),
  issuer: fc.constantFrom(...issuers),
  name: maybe(fc.constantFrom(...names)),
  birthDate: maybe(fc.constantFrom(...dates, '19700101')),
  sex: maybe(fc.constantFrom('M', 'F', 'O')),
});
const instanceArb: fc.Arbitrary<InstanceSpec> = fc.record({
  sopClass: fc.constantFrom(...sopClasses),
  number: maybe(fc.integer({ min: 1, max: 4 })),
  rows: maybe(fc.constantFrom(256, 512)),
  contentDate: maybe(fc.constantFrom(...dates)),
  contentTime: maybe(fc.constantFrom(...times)),
});
const seriesArb: fc.Arbitrary<SeriesSpec> = fc.record({
  modality: maybe(fc.constantFrom(...modalities)),
  number: maybe(fc.integer({ min: 1, max: 3 })),
  description: maybe(fc.constantFrom(...descriptions)),
  bodyPart: maybe(fc.constantFrom(...bodyParts)),
  ppsDate: maybe(fc.constantFrom(...dates)),
  ppsTime: maybe(fc.constantFrom(...times)),
  requests: fc.array(fc.record({ sps: maybe(fc.constantFrom(...stepIds)), rp: maybe(fc.constantFrom(...stepIds)) }), {
    maxLength: 2,
  }),
  instances: fc.array(instanceArb, { minLength: 1, maxLength: 3 }),
});
const studyArb = (patients: number): fc.Arbitrary<StudySpec> =>
  fc.record({
    patient: fc.integer({ min: 0, max: patients - 1 }),
    date: maybe(fc.constantFrom(...dates)),
    time: maybe(fc.constantFrom(...times)),
    zone: maybe(fc.constantFrom(...zones)),
    accession: maybe(fc.constantFrom(...accessions)),
    description: maybe(fc.constantFrom(...descriptions)),
    referring: maybe(fc.constantFrom(...names)),
    studyId: maybe(fc.constantFrom('1', '2', 'S1')),
    series: fc.array(seriesArb, { minLength: 1, maxLength: 3 }),
  });

export interface RandomArchive {
  partitionId: number;
  records: InstanceRecord[];
}

const el = (vr: string, value: unknown): DicomJsonDataset[string] => ({ vr, Value: [value] });

/** Random archives of 1-6 studies of up to 4 patients, in partition `partitionId()` (one per archive). */
export function archiveArb(partitionId: () => number): fc.Arbitrary<RandomArchive> {
  return fc
    .array(patientArb, { minLength: 1, maxLength: 4 })
    .chain((patients) =>
      fc.tuple(fc.constant(patients), fc.array(studyArb(patients.length), { minLength: 1, maxLength: 6 })),
    )
    .map(([patients, studies]) => {
      const partition = partitionId();
      const records: InstanceRecord[] = [];
      studies.forEach((study, s) => {
        const p = patients[study.patient]!;
        const studyUid = `2.25.${partition}.${s + 1}`;
        study.series.forEach((series, e) => {
          const seriesUid = `${studyUid}.${e + 1}`;
          series.instances.forEach((instance, n) => {
            const sopUid = `${seriesUid}.${n + 1}`;
            const ds: DicomJsonDataset = {
              [Tag.SOPClassUID]: el('UI', instance.sopClass),
              [Tag.SOPInstanceUID]: el('UI', sopUid),
              [Tag.StudyInstanceUID]: el('UI', studyUid),
              [Tag.SeriesInstanceUID]: el('UI', seriesUid),
              [Tag.PatientID]: el('LO', p.id),
            };
            const set = (tag: string, vr: string, value: unknown) => {
              if (value !== undefined) ds[tag] = vr === 'PN' ? el('PN', nameJson(value as string)) : el(vr, value);
            };
            set(Tag.IssuerOfPatientID, 'LO', p.issuer || undefined);
            set(Tag.PatientName, 'PN', p.name);
            set(Tag.PatientBirthDate, 'DA', p.birthDate);
            set(Tag.PatientSex, 'CS', p.sex);
            set(Tag.StudyDate, 'DA', study.date);
            set(Tag.StudyTime, 'TM', study.time);
            set(Tag.TimezoneOffsetFromUTC, 'SH', study.zone);
            set(Tag.AccessionNumber, 'SH', study.accession);
            set(Tag.StudyDescription, 'LO', study.description);
            set(Tag.ReferringPhysicianName, 'PN', study.referring);
            set(Tag.StudyID, 'SH', study.studyId);
            set(Tag.Modality, 'CS', series.modality);
            set(Tag.SeriesNumber, 'IS', series.number);
            set(Tag.SeriesDescription, 'LO', series.description);
            set(Tag.BodyPartExamined, 'CS', series.bodyPart);
            set(Tag.PerformedProcedureStepStartDate, 'DA', series.ppsDate);
            set(Tag.PerformedProcedureStepStartTime, 'TM', series.ppsTime);
            set(Tag.InstanceNumber, 'IS', instance.number);
            set(Tag.Rows, 'US', instance.rows);
            set(Tag.ContentDate, 'DA', instance.contentDate);
            set(Tag.ContentTime, 'TM', instance.contentTime);
            if (series.requests.length > 0) {
              ds[Tag.RequestAttributesSequence] = {
                vr: 'SQ',
                Value: series.requests.map((r) => {
                  const item: DicomJsonDataset = {};
                  if (r.sps) item[Tag.ScheduledProcedureStepID] = el('SH', r.sps);
                  if (r.rp) item[Tag.RequestedProcedureID] = el('SH', r.rp);
                  return item;
                }),
              };
            }
            records.push({
              partitionId: partition,
              ingestId: `ingest-${sopUid}`,
              studyUid,
              seriesUid,
              sopUid,
              sopClassUid: instance.sopClass,
              transferSyntaxUid: '1.2.840.10008.1.2.1',
              blobKey: `blobs/${sopUid}`,
              size: 1,
              sha256: `sha-${sopUid}`,
              dataset: ds,
            });
          });
        });
      });
      return { partitionId: partition, records };
    });
}

/** A PN string with "=" groups as DICOM JSON (PS3.18 §F.2.2). */
function nameJson(name: string): Record<string, string> {
  const [alphabetic, ideographic, phonetic] = name.split('=');
  const out: Record<string, string> = {};
  if (alphabetic) out.Alphabetic = alphabetic;
  if (ideographic) out.Ideographic = ideographic;
  if (phonetic) out.Phonetic = phonetic;
  return out;
}

const wildcardOf = (value: string): fc.Arbitrary<string> =>
  fc.oneof(
    fc.integer({ min: 0, max: value.length }).map((n) => `${value.slice(0, n)}*`),
    fc.integer({ min: 0, max: Math.max(0, value.length - 1) }).map((n) => `${value.slice(0, n)}?${value.slice(n + 1)}`),
    fc.integer({ min: 0, max: value.length }).map((n) => `*${value.slice(n)}`),
  );
const textMatch = (tag: string, pool: readonly string[]): fc.Arbitrary<MatchCondition> =>
  fc.oneof(
    fc.constantFrom(...pool).map((value): MatchCondition => ({ kind: 'single', tag, value })),
    fc
      .constantFrom(...pool)
      .chain(wildcardOf)
      .map((pattern): MatchCondition => ({ kind: 'wildcard', tag, pattern })),
    fc
      .uniqueArray(fc.constantFrom(...pool), { minLength: 2, maxLength: 3 })
      .map((values): MatchCondition => ({ kind: 'multiple', tag, values })),
    fc.constant<MatchCondition>({ kind: 'universal', tag }),
  );
const nameMatch = (tag: string): fc.Arbitrary<MatchCondition> =>
  fc.oneof(
    fc
      .constantFrom(...names, 'muller', 'doe^j', 'jo', 'smith jones', 'zoe', 'tar')
      .map((value): MatchCondition => ({ kind: 'single', tag, value })),
    fc
      .constantFrom(...names.map((n) => n.split('=')[0]!), 'doe', 'mü')
      .chain(wildcardOf)
      .map((pattern): MatchCondition => ({ kind: 'wildcard', tag, pattern })),
  );
const sortedPair = <T extends string>(pool: readonly T[]) =>
  fc.tuple(maybe(fc.constantFrom(...pool)), maybe(fc.constantFrom(...pool))).map(([a, b]) => {
    if (a !== undefined && b !== undefined && a > b) return [b, a] as const;
    return [a, b] as const;
  });
const tmBound = (tm: string, upper: boolean) => {
  const [hms, frac = ''] = tm.split('.');
  const filler = upper ? '9' : '0';
  const hh = hms!.slice(0, 2);
  const mm = hms!.length >= 4 ? hms!.slice(2, 4) : upper ? '59' : '00';
  const ss = hms!.length >= 6 ? hms!.slice(4, 6) : upper ? '59' : '00';
  return `${hh}${mm}${ss}.${frac.padEnd(6, filler)}`;
};
const dateRange = (tag: string): fc.Arbitrary<MatchCondition> =>
  sortedPair(dates)
    .filter(([from, to]) => from !== undefined || to !== undefined)
    .map(
      ([from, to]): MatchCondition => ({
        kind: 'range',
        tag,
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
      }),
    );
const timeRange = (tag: string): fc.Arbitrary<MatchCondition> =>
  fc
    .tuple(maybe(fc.constantFrom(...times)), maybe(fc.constantFrom(...times)))
    .map(([a, b]) => [a && tmBound(a, false), b && tmBound(b, true)] as const)
    .filter(([a, b]) => (a !== undefined || b !== undefined) && (a === undefined || b === undefined || a <= b))
    .map(
      ([from, to]): MatchCondition => ({
        kind: 'range',
        tag,
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
      }),
    );
const dateTimeRange = (tag: string, timeTag: string): fc.Arbitrary<MatchCondition> =>
  fc
    .tuple(sortedPair(dates), maybe(fc.constantFrom(...times)), maybe(fc.constantFrom(...times)))
    .map(([[fromDate, toDate], t1, t2]) => ({
      from: fromDate && `${fromDate}${tmBound(t1 ?? '000000', false)}`,
      to: toDate && `${toDate}${tmBound(t2 ?? '235959.999999', true)}`,
    }))
    .filter(
      ({ from, to }) =>
        (from !== undefined || to !== undefined) && (from === undefined || to === undefined || from <= to),
    )
    .map(
      ({ from, to }): MatchCondition => ({
        kind: 'range',
        tag,
        timeTag,
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
      }),
    );

/** Matching keys a search at each level can use, with arbitraries for their conditions. */
function keysOf(level: SearchLevel, archive: RandomArchive): fc.Arbitrary<MatchCondition>[] {
  const studyUids = [...new Set(archive.records.map((r) => r.studyUid))];
  const seriesUids = [...new Set(archive.records.map((r) => r.seriesUid))];
  const sopUids = archive.records.map((r) => r.sopUid);
  const uidMatch = (tag: string, pool: string[]) =>
    fc.oneof(
      fc.constantFrom(...pool).map((value): MatchCondition => ({ kind: 'single', tag, value })),
      fc
        .uniqueArray(fc.constantFrom(...pool, '1.2.3.999'), { minLength: 2, maxLength: 4 })
        .map((values): MatchCondition => ({ kind: 'uidList', tag, values })),
    );
  const study = [
    uidMatch(Tag.StudyInstanceUID, studyUids),
    textMatch(Tag.PatientID, patientIds),
    textMatch(Tag.IssuerOfPatientID, ['HOSP-A', 'OTHER']),
    nameMatch(Tag.PatientName),
    nameMatch(Tag.ReferringPhysicianName),
    textMatch(Tag.AccessionNumber, accessions),
    textMatch(Tag.StudyDescription, descriptions),
    textMatch(Tag.StudyID, ['1', '2', 'S1']),
    textMatch(Tag.PatientSex, ['M', 'F']),
    dateRange(Tag.StudyDate),
    timeRange(Tag.StudyTime),
    dateTimeRange(Tag.StudyDate, Tag.StudyTime),
    dateRange(Tag.PatientBirthDate),
    fc.oneof(
      fc
        .constantFrom(...modalities)
        .map((value): MatchCondition => ({ kind: 'single', tag: Tag.ModalitiesInStudy, value })),
      fc
        .uniqueArray(fc.constantFrom(...modalities), { minLength: 2, maxLength: 3 })
        .map((values): MatchCondition => ({ kind: 'multiple', tag: Tag.ModalitiesInStudy, values })),
      fc
        .constantFrom('C*', '?R', 'S*')
        .map((pattern): MatchCondition => ({ kind: 'wildcard', tag: Tag.ModalitiesInStudy, pattern })),
    ),
    uidMatch(Tag.SOPClassesInStudy, [...sopClasses]),
  ];
  const series = [
    uidMatch(Tag.SeriesInstanceUID, seriesUids),
    textMatch(Tag.Modality, modalities),
    fc
      .integer({ min: 1, max: 3 })
      .map((n): MatchCondition => ({ kind: 'single', tag: Tag.SeriesNumber, value: String(n) })),
    textMatch(Tag.SeriesDescription, descriptions),
    textMatch(Tag.BodyPartExamined, bodyParts),
    dateRange(Tag.PerformedProcedureStepStartDate),
    timeRange(Tag.PerformedProcedureStepStartTime),
    dateTimeRange(Tag.PerformedProcedureStepStartDate, Tag.PerformedProcedureStepStartTime),
    fc
      .tuple(
        maybe(fc.constantFrom(...stepIds)),
        maybe(fc.oneof(fc.constantFrom(...stepIds), fc.constantFrom('SPS*', '*-1', 'RP?1'))),
      )
      .map(
        ([sps, rp]): MatchCondition => ({
          kind: 'sequence',
          tag: Tag.RequestAttributesSequence,
          items: [
            ...(sps !== undefined ? [{ kind: 'single' as const, tag: Tag.ScheduledProcedureStepID, value: sps }] : []),
            ...(rp !== undefined
              ? [
                  /[*?]/.test(rp)
                    ? { kind: 'wildcard' as const, tag: Tag.RequestedProcedureID, pattern: rp }
                    : { kind: 'single' as const, tag: Tag.RequestedProcedureID, value: rp },
                ]
              : []),
          ],
        }),
      ),
  ];
  const instance = [
    uidMatch(Tag.SOPInstanceUID, sopUids),
    uidMatch(Tag.SOPClassUID, [...sopClasses]),
    fc
      .integer({ min: 1, max: 4 })
      .map((n): MatchCondition => ({ kind: 'single', tag: Tag.InstanceNumber, value: String(n) })),
    fc.constantFrom('256', '512').map((value): MatchCondition => ({ kind: 'single', tag: Tag.Rows, value })),
    dateRange(Tag.ContentDate),
    timeRange(Tag.ContentTime),
    dateTimeRange(Tag.ContentDate, Tag.ContentTime),
  ];
  return level === 'study' ? study : level === 'series' ? [...study, ...series] : [...study, ...series, ...instance];
}

/** Random searches over an archive: a level, a scope, 1-3 keys of distinct attributes, and the flags. */
export function queryArb(archive: RandomArchive): fc.Arbitrary<SearchQuery> {
  const studyUids = [...new Set(archive.records.map((r) => r.studyUid))];
  return fc.constantFrom<SearchLevel>('study', 'series', 'instance').chain((level) =>
    fc
      .record({
        conditions: fc.uniqueArray(fc.oneof(...keysOf(level, archive)), {
          minLength: 1,
          maxLength: 3,
          selector: (c) => c.tag,
        }),
        scope: level === 'study' ? fc.constant(undefined) : maybe(fc.constantFrom(...studyUids)),
        fuzzy: fc.boolean(),
        emptyValueMatching: fc.boolean(),
        zone: maybe(fc.constantFrom(0, 60, -300, 330)),
      })
      .map(
        ({ conditions, scope, fuzzy, emptyValueMatching, zone }): SearchQuery => ({
          level,
          partitionId: archive.partitionId,
          ...(scope !== undefined ? { studyUid: scope } : {}),
          conditions,
          fuzzy,
          emptyValueMatching,
          ...(zone !== undefined ? { timezoneOffsetMinutes: zone } : {}),
          limit: 10_000,
          offset: 0,
        }),
      ),
  );
}
