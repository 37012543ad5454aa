import { Client } from 'pg';
import { describeIndexContract } from './index.contract';
import { openIndexDatabase } from './index-database';

// A fresh database per run on the real PostgreSQL server started by scripts/test-env (PACS_DATABASE_URL).
const serverUrl = process.env.PACS_DATABASE_URL!;
const database = `pacs_index_test_${process.pid}_${Date.now()}`;

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

describeIndexContract('PostgreSQL', async () => {
  await admin(`CREATE DATABASE ${database}`);
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  const db = await openIndexDatabase({ kind: 'postgres', url: url.toString(), poolSize: 4 });
  return {
    ...db,
    close: async () => {
      await db.close();
      await admin(`DROP DATABASE IF EXISTS ${database}`);
    },
  };
});
