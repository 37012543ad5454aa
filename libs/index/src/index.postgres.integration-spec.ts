import { describeIndexContract } from './index.contract';
import { openPostgresTestDatabase } from './testing/postgres-test-database';

describeIndexContract('PostgreSQL', () => openPostgresTestDatabase(process.env.PACS_DATABASE_URL!, 'index_test'), {
  oracleRuns: Number(process.env.QIDO_ORACLE_RUNS ?? 40),
});
