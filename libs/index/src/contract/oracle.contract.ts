// The index against the oracle (testing/qido-oracle.ts): random archives, random searches at every level with
// every matching type, the same answers expected. Then random deletes, and the computed attributes and answers
// again.
import { Tag } from '@pacs/dicom';
import fc from 'fast-check';
import { deleteInstances } from '../delete-instances';
import type { IndexDatabase } from '../index-database';
import { writeInstances } from '../index-writer';
import { search, type SearchQuery } from '../search';
import { QidoOracle } from '../testing/qido-oracle';
import { archiveArb, queryArb, type RandomArchive } from '../testing/random-archive';

let nextPartition = 1000;

async function indexAnswer(db: IndexDatabase, query: SearchQuery): Promise<string[]> {
  const result = await search(db.sql, query);
  return result.rows.map((r) => r.sopUid ?? r.seriesUid ?? r.studyUid).sort();
}

const describeQuery = (q: SearchQuery) =>
  JSON.stringify({ ...q, conditions: q.conditions.map((c) => ({ ...c, tag: `${c.tag}` })) });

export function describeOracleContract(database: () => IndexDatabase, runs: number): void {
  describe('the same answers as an in-memory filter written from the standard (property-based)', () => {
    const scenario = fc
      .tuple(
        archiveArb(() => nextPartition++),
        fc.integer({ min: 1, max: 3 }),
      )
      .chain(([archive, batches]) =>
        fc.tuple(
          fc.constant(archive),
          fc.constant(batches),
          fc.array(queryArb(archive), { minLength: 8, maxLength: 16 }),
          fc.subarray(archive.records.map((r) => r.sopUid)),
        ),
      );

    const write = async (archive: RandomArchive, batches: number) => {
      const size = Math.ceil(archive.records.length / batches);
      for (let i = 0; i < archive.records.length; i += size) {
        await writeInstances(database().sql, archive.records.slice(i, i + size));
      }
    };

    const compare = async (oracle: QidoOracle, queries: SearchQuery[]) => {
      for (const query of queries) {
        const expected = oracle.search(query).sort();
        const actual = await indexAnswer(database(), query);
        if (JSON.stringify(actual) !== JSON.stringify(expected)) {
          throw new Error(`${describeQuery(query)}\n  index:  ${actual.join(' ')}\n  oracle: ${expected.join(' ')}`);
        }
      }
    };

    const checkComputed = async (oracle: QidoOracle, archive: RandomArchive) => {
      const studies = await search(database().sql, {
        level: 'study',
        partitionId: archive.partitionId,
        conditions: [],
        fuzzy: false,
        limit: 1000,
        offset: 0,
      });
      for (const row of studies.rows) {
        const expected = oracle.computed(archive.partitionId, row.studyUid);
        expect(expected).toBeDefined();
        expect({
          modalities: row.dataset[Tag.ModalitiesInStudy]!.Value ?? [],
          sopClasses: row.dataset[Tag.SOPClassesInStudy]!.Value ?? [],
          series: row.dataset[Tag.NumberOfStudyRelatedSeries]!.Value![0],
          instances: row.dataset[Tag.NumberOfStudyRelatedInstances]!.Value![0],
        }).toEqual({
          modalities: expected!.modalities,
          sopClasses: expected!.sopClasses,
          series: expected!.series,
          instances: expected!.instances,
        });
      }
      const all = new Set(
        archive.records.map((r) => r.studyUid).filter((s) => oracle.computed(archive.partitionId, s)),
      );
      expect(studies.rows.map((r) => r.studyUid).sort()).toEqual([...all].sort());
    };

    it('answers random searches at every level like the oracle, before and after deletes', async () => {
      await fc.assert(
        fc.asyncProperty(scenario, async ([archive, batches, queries, deleted]) => {
          await write(archive, batches);
          const oracle = new QidoOracle(archive.records);
          await compare(oracle, queries);
          await checkComputed(oracle, archive);

          await deleteInstances(
            database().sql,
            deleted.map((sopUid) => {
              const r = archive.records.find((x) => x.sopUid === sopUid)!;
              return { partitionId: archive.partitionId, studyUid: r.studyUid, seriesUid: r.seriesUid, sopUid };
            }),
          );
          oracle.remove(archive.partitionId, deleted);
          await compare(oracle, queries);
          await checkComputed(oracle, archive);
        }),
        { numRuns: runs, endOnFailure: true },
      );
    });
  });
}
