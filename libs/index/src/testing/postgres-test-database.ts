// A fresh PostgreSQL database per call on the server scripts/test-env started (PACS_DATABASE_URL), dropped on close.
import { Client } from 'pg';
import { openIndexDatabase, type IndexDatabase } from '../index-database';

let opened = 0;

async function admin(serverUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** `serverUrl`: PACS_DATABASE_URL of the test environment (the caller reads it: libs never read process.env). */
export async function openPostgresTestDatabase(serverUrl: string, name: string, poolSize = 4): Promise<IndexDatabase> {
  if (!serverUrl)
    throw new Error('PACS_DATABASE_URL is not set: run the integration tests through jest.integration.config.js');
  const database = `pacs_${name}_${process.pid}_${Date.now()}_${++opened}`;
  await admin(serverUrl, `CREATE DATABASE ${database}`);
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  const db = await openIndexDatabase({ kind: 'postgres', url: url.toString(), poolSize });
  return {
    ...db,
    close: async () => {
      await db.close();
      await admin(serverUrl, `DROP DATABASE IF EXISTS ${database}`);
    },
  };
}
