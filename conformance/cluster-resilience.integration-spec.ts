// The promise "after a 200 nothing is lost" in cluster mode, tested by breaking things while STOW-RS runs:
// the index owner killed with SIGKILL, then Kafka and S3 stopped. These tests run their own Kafka broker and
// S3 server (scripts/infra with a private PACS_INFRA_DIR) so stopping them disturbs no other suite.
import { generateUid, Tag } from '@pacs/dicom';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { writePart10 } from '@pacs/dicom';
import { patternPixels, syntheticDataset } from '../bench/support/synthetic';
import { startClusterTarget, type ClusterTarget } from './support/cluster-target';
import { get, stow } from './support/http';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

interface Sent {
  sop: string;
  series: string;
  sha: string;
  status: number;
  retryAfter: string | null;
}

async function instance(study: string, series: string, n: number): Promise<{ sop: string; bytes: Buffer }> {
  const sop = generateUid();
  const dataset = syntheticDataset({
    study,
    series,
    sop,
    patientId: 'RESILIENCE',
    instanceNumber: n,
    rows: 32,
    columns: 32,
  });
  return {
    sop,
    bytes: await buffer(writePart10({ dataset, pixelData: { vr: 'OW', value: patternPixels(32 * 32 * 2, n) } })),
  };
}

/** Sends single-instance STOW-RS requests from `loops` clients until stopped; records every answer. */
function storeLoad(baseUrl: string, study: string, loops: number): { stop: () => Promise<Sent[]> } {
  const sent: Sent[] = [];
  let running = true;
  let n = 0;
  const workers = Array.from({ length: loops }, async (_, w) => {
    const series = `${study}.${w + 1}`;
    while (running) {
      const { sop, bytes } = await instance(study, series, ++n);
      try {
        const response = await stow(`${baseUrl}/studies`, [{ bytes }]);
        sent.push({
          sop,
          series,
          sha: sha256(bytes),
          status: response.status,
          retryAfter: response.headers.get('retry-after'),
        });
      } catch {
        sent.push({ sop, series, sha: sha256(bytes), status: 0, retryAfter: null });
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(workers);
      return sent;
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every instance answered 200 (or 202: stored, index pending) is found by QIDO once, and retrieved bit for bit. */
async function expectAllDurable(baseUrl: string, study: string, sent: Sent[]): Promise<void> {
  const accepted = sent.filter((s) => s.status === 200 || s.status === 202);
  const deadline = Date.now() + 60_000;
  let found: string[] = [];
  while (Date.now() < deadline) {
    const response = await get(`${baseUrl}/studies/${study}/instances?limit=10000`);
    found = (JSON.parse(response.body.toString() || '[]') as Record<string, { Value?: unknown[] }>[]).map((i) =>
      String(i[Tag.SOPInstanceUID]!.Value![0]),
    );
    if (accepted.every((a) => found.includes(a.sop))) break;
    await sleep(500);
  }
  expect(accepted.filter((a) => !found.includes(a.sop))).toEqual([]);
  // Nothing indexed twice: one result per SOP Instance UID, and the study's count agrees.
  expect(new Set(found).size).toBe(found.length);
  const [studyResult] = JSON.parse(
    (await get(`${baseUrl}/studies?StudyInstanceUID=${study}`)).body.toString(),
  ) as Record<string, { Value?: unknown[] }>[];
  expect(studyResult![Tag.NumberOfStudyRelatedInstances]!.Value![0]).toBe(found.length);
  for (const a of accepted) {
    const retrieved = await get(
      `${baseUrl}/studies/${study}/series/${a.series}/instances/${a.sop}`,
      'application/dicom; transfer-syntax=*',
    );
    expect(sha256(retrieved.body)).toBe(a.sha);
  }
}

describe('cluster resilience', () => {
  describe('the index owner killed with SIGKILL during a STOW load', () => {
    let target: ClusterTarget;
    beforeAll(async () => {
      target = await startClusterTarget(undefined, { PACS_STOW_INDEX_TIMEOUT_MS: '3000' });
    });
    afterAll(async () => target?.close());

    it('loses nothing that was accepted and indexes nothing twice', async () => {
      const base = `${target.cluster.gatewayUrl}/dicomweb`;
      const study = generateUid();
      const load = storeLoad(base, study, 3);
      await sleep(1500);
      await target.cluster.kill('qido', 'SIGKILL');
      await sleep(2000);
      await target.cluster.start('qido');
      await sleep(1500);
      const sent = await load.stop();
      expect(sent.filter((s) => s.status === 200).length).toBeGreaterThan(5);
      // While the index owner was down, STOW answered 202 (stored, not yet searchable) — never an error.
      expect(sent.filter((s) => ![200, 202].includes(s.status))).toEqual([]);
      await expectAllDurable(base, study, sent);
    });
  });

  describe('Kafka and S3 stopped during a STOW load', () => {
    const infraDir = mkdtempSync(join(tmpdir(), 'pacs-resilience-infra-'));
    const script = (name: string, command: string) =>
      execFileSync('bash', [join(process.cwd(), 'scripts', 'infra', `${name}.sh`), command], {
        env: { ...process.env, PACS_INFRA_DIR: infraDir },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    const envOf = (name: string) =>
      Object.fromEntries(
        readFileSync(join(infraDir, name, 'env'), 'utf8')
          .split('\n')
          .filter((l) => l.includes('='))
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
    let target: ClusterTarget;

    beforeAll(async () => {
      script('kafka', 'up');
      script('s3', 'up');
      target = await startClusterTarget(undefined, {
        ...envOf('kafka'),
        ...envOf('s3'),
        PACS_STOW_INDEX_TIMEOUT_MS: '5000',
      });
    }, 180_000);
    afterAll(async () => {
      await target?.close();
      script('kafka', 'down');
      script('s3', 'down');
      rmSync(infraDir, { recursive: true, force: true });
    }, 60_000);

    it.each(['kafka', 's3'])(
      'answers 503 with Retry-After while %s is down, never 200 for what is not durable, and recovers by itself',
      async (server) => {
        const base = `${target.cluster.gatewayUrl}/dicomweb`;
        const study = generateUid();
        const load = storeLoad(base, study, 2);
        await sleep(1500);
        script(server, 'down');
        await sleep(8000);
        script(server, 'up');
        // Recovered: a new STOW is answered 200 again within a minute, with no restart of any service.
        const deadline = Date.now() + 90_000;
        let recovered = false;
        while (Date.now() < deadline && !recovered) {
          const { bytes } = await instance(study, `${study}.9`, 1);
          recovered = (await stow(`${base}/studies`, [{ bytes }])).status === 200;
          if (!recovered) await sleep(1000);
        }
        const sent = await load.stop();
        expect(recovered).toBe(true);
        const failed = sent.filter((s) => s.status !== 200 && s.status !== 202);
        expect(failed.length).toBeGreaterThan(0);
        for (const f of failed) {
          expect(f.status).toBe(503);
          expect(Number(f.retryAfter)).toBeGreaterThan(0);
        }
        await expectAllDurable(base, study, sent);
      },
      240_000,
    );
  });
});
