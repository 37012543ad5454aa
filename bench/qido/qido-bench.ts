// QIDO-RS at hospital scale. For each database (real PostgreSQL from .infra/env or PACS_DATABASE_URL, and PGlite
// in a folder under .cache):
//   load     the archive of libs/index/src/testing/hospital-archive.ts (1,000,000 instances, 20,000 studies,
//            5,000 patients) through writeInstances in batches of 500, as the index consumer writes them:
//            rows/s overall and over the last 10 % (catch-up into an index that is already big)
//   explain  EXPLAIN (FORMAT JSON) of every scenario with the planner's own choice: the plan's nodes are
//            printed, and a Seq Scan fails the run
//   search   each scenario `--runs` times with varied values: p50 / p95 / p99 / max in ms
// Targets (issue 5, on PostgreSQL): study searches p95 ≤ 10 ms, the instances of a 500-instance series
// p95 ≤ 30 ms, catch-up ≥ 5,000 rows/s. The exit code is 1 when PostgreSQL misses one or any plan scans.
//
// usage: bash bench/qido/run.sh [--db postgres,pglite] [--instances 1000000] [--fresh] [--runs 200]
//   --fresh  drop what an earlier run loaded (by default a loaded archive of the same size is searched again)
import { applyMigrations, openIndexDatabase, search, writeInstances, type IndexDatabase } from '@pacs/index';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { explainSearch } from '../../libs/index/src/testing/explain';
import {
  instanceBatches,
  planArchive,
  random,
  scenarios,
  type ArchivePlan,
} from '../../libs/index/src/testing/hospital-archive';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i++) {
  const key = process.argv[i]!.replace(/^--/, '');
  const next = process.argv[i + 1];
  if (next !== undefined && !next.startsWith('--')) {
    args.set(key, next);
    i++;
  } else args.set(key, 'true');
}
const databases = (args.get('db') ?? 'postgres,pglite').split(',');
const instances = Number(args.get('instances') ?? 1_000_000);
const runs = Number(args.get('runs') ?? 200);
const fresh = args.get('fresh') === 'true';
const root = process.cwd();
const batchSize = 500;
const targets = { studySearchP95: 10, seriesInstancesP95: 30, catchUpRowsPerSecond: 5_000 };

const plan: ArchivePlan = planArchive({
  patients: Math.round(instances / 200),
  studies: Math.round(instances / 50),
  instances,
  seed: 1,
  partitionId: 1,
});

function databaseUrl(): string {
  if (process.env.PACS_DATABASE_URL) return process.env.PACS_DATABASE_URL;
  const file = join(root, '.infra', 'env');
  if (!existsSync(file))
    throw new Error('no PostgreSQL: set PACS_DATABASE_URL or start it with bash scripts/test-env/up.sh');
  const line = readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('PACS_DATABASE_URL='));
  if (!line) throw new Error(`${file} has no PACS_DATABASE_URL`);
  return line.slice('PACS_DATABASE_URL='.length);
}

async function openPostgres(): Promise<IndexDatabase> {
  const server = databaseUrl();
  const name = `pacs_qido_bench_${instances}`;
  const admin = new Client({ connectionString: server });
  await admin.connect();
  try {
    if (fresh) await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(server);
  url.pathname = `/${name}`;
  return openIndexDatabase({ kind: 'postgres', url: url.toString(), poolSize: 4 });
}

async function openPglite(): Promise<IndexDatabase> {
  const dir = join(root, '.cache', `qido-bench-pglite-${instances}`);
  if (fresh) rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return openIndexDatabase({ kind: 'pglite', dataDir: dir });
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const perSecond = (rows: number, ms: number) => Math.round((rows * 1000) / ms);

interface LoadResult {
  rowsPerSecond: number;
  lastTenthRowsPerSecond: number;
  loaded: boolean;
}

async function load(db: IndexDatabase, label: string): Promise<LoadResult> {
  const [{ n }] = await db.sql.query<{ n: bigint }>('SELECT count(*) AS n FROM instance');
  if (Number(n) === plan.instances) {
    console.log(`${label}: ${plan.instances} instances loaded by an earlier run (--fresh to load again)`);
    return { rowsPerSecond: NaN, lastTenthRowsPerSecond: NaN, loaded: false };
  }
  if (Number(n) !== 0)
    throw new Error(`${label}: the bench database holds ${n} instances, not ${plan.instances}: use --fresh`);
  const started = performance.now();
  let done = 0;
  let tenthStarted = 0;
  let lastReport = started;
  for (const batch of instanceBatches(plan, batchSize)) {
    if (tenthStarted === 0 && done >= plan.instances * 0.9) tenthStarted = performance.now();
    await writeInstances(db.sql, batch);
    done += batch.length;
    if (performance.now() - lastReport > 10_000) {
      lastReport = performance.now();
      console.log(`${label}: ${done} / ${plan.instances} instances, ${perSecond(done, lastReport - started)} rows/s`);
    }
  }
  const ended = performance.now();
  const result = {
    rowsPerSecond: perSecond(done, ended - started),
    lastTenthRowsPerSecond: perSecond(plan.instances - Math.ceil(plan.instances * 0.9), ended - tenthStarted),
    loaded: true,
  };
  console.log(
    `${label}: loaded ${done} instances in ${seconds(ended - started)}: ${result.rowsPerSecond} rows/s, ` +
      `last 10 %: ${result.lastTenthRowsPerSecond} rows/s`,
  );
  return result;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

interface ScenarioResult {
  name: string;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  rows: number;
  nodes: string[];
  seqScans: string[];
}

async function measure(db: IndexDatabase, label: string): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const scenario of scenarios(plan)) {
    const explained = await explainSearch(db.sql, scenario.query(random(99)));
    const rng = random(42);
    for (let i = 0; i < 20; i++) await search(db.sql, scenario.query(rng));
    const times: number[] = [];
    let rows = 0;
    for (let i = 0; i < runs; i++) {
      const query = scenario.query(rng);
      const t = performance.now();
      const result = await search(db.sql, query);
      times.push(performance.now() - t);
      rows += result.rows.length;
    }
    times.sort((a, b) => a - b);
    const r = {
      name: scenario.name,
      p50: percentile(times, 50),
      p95: percentile(times, 95),
      p99: percentile(times, 99),
      max: times[times.length - 1]!,
      rows: Math.round(rows / runs),
      nodes: explained.nodes,
      seqScans: explained.seqScans,
    };
    results.push(r);
    console.log(`${label}: ${r.name}`);
    console.log(`    plan: ${r.nodes.join(' → ')}`);
    if (r.seqScans.length > 0) console.log(`    !!! SEQUENTIAL SCAN: ${r.seqScans.join(', ')}`);
    console.log(
      `    p50 ${r.p50.toFixed(2)} ms  p95 ${r.p95.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  max ${r.max.toFixed(2)} ms  (${r.rows} rows/search)`,
    );
  }
  return results;
}

async function bench(kind: string): Promise<boolean> {
  const label = kind === 'postgres' ? 'PostgreSQL' : 'PGlite';
  const db = kind === 'postgres' ? await openPostgres() : await openPglite();
  try {
    await applyMigrations(db.sql);
    const loaded = await load(db, label);
    // What autovacuum does after a bulk load (insert-triggered vacuum, PostgreSQL 13+): statistics, and the
    // visibility map that lets index-only scans skip the table.
    const vacuumStarted = performance.now();
    await db.sql.execute('VACUUM ANALYZE');
    console.log(`${label}: VACUUM ANALYZE ${seconds(performance.now() - vacuumStarted)}`);
    const results = await measure(db, label);
    let ok = true;
    const verdict = (name: string, value: number, target: number, better: 'lower' | 'higher') => {
      if (Number.isNaN(value)) return `${name}: not measured (loaded earlier)`;
      const pass = better === 'lower' ? value <= target : value >= target;
      if (!pass && kind === 'postgres') ok = false;
      return `${name}: ${value.toFixed(value > 100 ? 0 : 2)} (target ${better === 'lower' ? '≤' : '≥'} ${target}) ${pass ? 'PASS' : 'MISS'}`;
    };
    console.log(
      `\n== ${label}, ${plan.instances} instances, ${plan.studies.length} studies, ${plan.patients.length} patients`,
    );
    console.log(verdict('catch-up rows/s (whole load)', loaded.rowsPerSecond, targets.catchUpRowsPerSecond, 'higher'));
    console.log(
      verdict('catch-up rows/s (last 10 %)', loaded.lastTenthRowsPerSecond, targets.catchUpRowsPerSecond, 'higher'),
    );
    for (const r of results) {
      const target = r.name.startsWith('instances') ? targets.seriesInstancesP95 : targets.studySearchP95;
      console.log(verdict(`${r.name}: p95 ms`, r.p95, target, 'lower'));
      if (r.seqScans.length > 0) {
        ok = false;
        console.log(`    FAIL: EXPLAIN shows ${r.seqScans.join(', ')}`);
      }
    }
    console.log('');
    return ok;
  } finally {
    await db.close();
  }
}

async function main(): Promise<void> {
  let ok = true;
  for (const kind of databases) ok = (await bench(kind)) && ok;
  if (!ok) {
    console.error('qido bench: a PostgreSQL target was missed or a plan has a sequential scan');
    process.exit(1);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
