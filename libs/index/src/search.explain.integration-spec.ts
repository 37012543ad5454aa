// Every benchmark search and every indexed matching key is served by an index on real PostgreSQL: checked on
// a 20,000-instance archive, with sequential scans disabled so that one shows only where no index can serve
// the query (bench/qido checks the same searches at 1,000,000 instances with the planner's own choice).
import { Tag } from '@pacs/dicom';
import type { IndexDatabase } from './index-database';
import { writeInstances } from './index-writer';
import { applyMigrations } from './migrate';
import { search, type MatchCondition, type SearchQuery } from './search';
import { explainSearch } from './testing/explain';
import { instanceBatches, planArchive, random, scenarios } from './testing/hospital-archive';
import { openPostgresTestDatabase } from './testing/postgres-test-database';

jest.setTimeout(300_000);

const plan = planArchive({ patients: 100, studies: 400, instances: 20_000, seed: 7, partitionId: 1 });
let db: IndexDatabase;

beforeAll(async () => {
  db = await openPostgresTestDatabase(process.env.PACS_DATABASE_URL!, 'explain');
  await applyMigrations(db.sql);
  for (const batch of instanceBatches(plan, 500)) await writeInstances(db.sql, batch);
  await db.sql.execute('VACUUM ANALYZE');
});
afterAll(async () => {
  await db?.close();
});

const study = plan.studies.find((s) => s.series.some((e) => e.modality === 'CT'))!;
const base = { partitionId: 1, fuzzy: false, limit: 100, offset: 0 };
const single = (tag: string, value: string): MatchCondition => ({ kind: 'single', tag, value });
const keyQueries: [string, SearchQuery][] = [
  [
    'StudyInstanceUID list',
    {
      ...base,
      level: 'study',
      conditions: [{ kind: 'uidList', tag: Tag.StudyInstanceUID, values: [study.uid, plan.studies[9]!.uid] }],
    },
  ],
  ['AccessionNumber', { ...base, level: 'study', conditions: [single(Tag.AccessionNumber, study.accession)] }],
  ['StudyID', { ...base, level: 'study', conditions: [single(Tag.StudyID, study.accession.slice(-6))] }],
  [
    'StudyDescription prefix',
    { ...base, level: 'study', conditions: [{ kind: 'wildcard', tag: Tag.StudyDescription, pattern: 'CT Ch*' }] },
  ],
  [
    'ReferringPhysicianName prefix',
    { ...base, level: 'study', conditions: [{ kind: 'wildcard', tag: Tag.ReferringPhysicianName, pattern: 'web*' }] },
  ],
  [
    'PatientName fuzzy',
    {
      ...base,
      level: 'study',
      fuzzy: true,
      conditions: [single(Tag.PatientName, study.patient.name.split('^')[1]!.slice(0, 3))],
    },
  ],
  [
    'PatientBirthDate range',
    {
      ...base,
      level: 'study',
      conditions: [{ kind: 'range', tag: Tag.PatientBirthDate, from: '19500101', to: '19501231' }],
    },
  ],
  [
    'StudyDate + StudyTime (combined)',
    {
      ...base,
      level: 'study',
      conditions: [
        {
          kind: 'range',
          tag: Tag.StudyDate,
          timeTag: Tag.StudyTime,
          from: '20200101080000.000000',
          to: '20200102170000.000000',
        },
      ],
    },
  ],
  [
    'StudyDate with TimezoneOffsetFromUTC',
    {
      ...base,
      level: 'study',
      timezoneOffsetMinutes: 60,
      conditions: [{ kind: 'range', tag: Tag.StudyDate, from: '20200101', to: '20200131' }],
    },
  ],
  [
    'SOPClassesInStudy',
    { ...base, level: 'study', conditions: [single(Tag.SOPClassesInStudy, '1.2.840.10008.5.1.4.1.1.4')] },
  ],
  ['series: Modality at the root', { ...base, level: 'series', conditions: [single(Tag.Modality, 'MR')] }],
  [
    'series: SeriesInstanceUID',
    { ...base, level: 'series', conditions: [single(Tag.SeriesInstanceUID, study.series[0]!.uid)] },
  ],
  ['series: of a study', { ...base, level: 'series', studyUid: study.uid, conditions: [] }],
  [
    'series: RequestAttributesSequence',
    {
      ...base,
      level: 'series',
      conditions: [
        {
          kind: 'sequence',
          tag: Tag.RequestAttributesSequence,
          items: [single(Tag.ScheduledProcedureStepID, 'SPS-1')],
        },
      ],
    },
  ],
  [
    'series: PerformedProcedureStepStartDate',
    {
      ...base,
      level: 'series',
      conditions: [{ kind: 'range', tag: Tag.PerformedProcedureStepStartDate, from: '20200101', to: '20200105' }],
    },
  ],
  [
    'instances: SOPInstanceUID',
    { ...base, level: 'instance', conditions: [single(Tag.SOPInstanceUID, `${study.series[0]!.uid}.1`)] },
  ],
  [
    'instances: SOPClassUID at the root',
    { ...base, level: 'instance', conditions: [single(Tag.SOPClassUID, '1.2.840.10008.5.1.4.1.1.12.1')] },
  ],
  [
    'instances: ContentDate at the root',
    {
      ...base,
      level: 'instance',
      conditions: [{ kind: 'range', tag: Tag.ContentDate, from: '20200101', to: '20200105' }],
    },
  ],
  ['instances: of a study', { ...base, level: 'instance', studyUid: study.uid, conditions: [] }],
];

describe('EXPLAIN of the benchmark searches on PostgreSQL (20,000 instances)', () => {
  const rng = random(3);
  it.each(scenarios(plan).map((s) => [s.name, s.query(rng)] as const))('%s uses indexes only', async (_name, query) => {
    const explained = await explainSearch(db.sql, query, { forbidSeqScan: true });
    expect({ seqScans: explained.seqScans, nodes: explained.nodes }).toEqual({ seqScans: [], nodes: explained.nodes });
    // And it runs: the plan is the statement's, not a stand-in.
    await expect(search(db.sql, query)).resolves.toBeDefined();
  });
});

describe('EXPLAIN of a search on each indexed matching key', () => {
  it.each(keyQueries)('%s uses indexes only', async (_name, query) => {
    const explained = await explainSearch(db.sql, query, { forbidSeqScan: true });
    expect({ seqScans: explained.seqScans, nodes: explained.nodes }).toEqual({ seqScans: [], nodes: explained.nodes });
  });
});
