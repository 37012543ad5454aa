import { describeIndexContract } from './index.contract';
import { openIndexDatabase } from './index-database';

describeIndexContract('PGlite', () => openIndexDatabase({ kind: 'pglite', dataDir: 'memory://' }), {
  oracleRuns: Number(process.env.QIDO_ORACLE_RUNS ?? 40),
});
