import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { mkdirSync } from 'node:fs';
import { Pool, type PoolClient } from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from './generated/prisma/client';
import { lockDataDir, type DataDirLock } from './data-dir-lock';
import type { Sql } from './sql';

export type IndexDatabaseOptions =
  | { kind: 'pglite'; /** a folder, or 'memory://' */ dataDir: string }
  | { kind: 'postgres'; url: string; poolSize: number };

export interface IndexDatabase {
  readonly kind: IndexDatabaseOptions['kind'];
  /** Prisma's client on the same connections, for typed access to the schema's models. */
  readonly prisma: PrismaClient;
  /** The index's own SQL (the writer, the planner, retrieval), straight to the driver. */
  readonly sql: Sql;
  /** Cheap liveness query for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

// The index's statements go to the driver itself (node-postgres, PGlite), not through Prisma's raw queries:
// the batched writes bind arrays of hundreds of kB, which Prisma's argument handling made 2× slower, and the
// searches save its per-call cost. Prisma shares the same pool / instance, so there is one set of connections.

const nested = (): Promise<never> => Promise.reject(new Error('nested transactions are not supported'));

type Params = readonly unknown[];

function poolSql(pool: Pool): Sql {
  const over = (client: Pick<PoolClient, 'query'>, transaction: Sql['transaction']): Sql => ({
    query: async <T>(text: string, params: Params = []) => (await client.query(text, [...params])).rows as T[],
    execute: async (text: string, params: Params = []) => (await client.query(text, [...params])).rowCount ?? 0,
    transaction,
  });
  const transaction: Sql['transaction'] = async (fn) => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(over(client, nested));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  };
  return over(pool, transaction);
}

interface PgliteQueryable {
  query<T>(text: string, params?: unknown[]): Promise<{ rows: T[]; affectedRows?: number }>;
}

function pgliteSql(db: PGlite): Sql {
  const over = (client: PgliteQueryable, transaction: Sql['transaction']): Sql => ({
    query: async <T>(text: string, params: Params = []) => (await client.query<T>(text, [...params])).rows,
    execute: async (text: string, params: Params = []) => (await client.query(text, [...params])).affectedRows ?? 0,
    transaction,
  });
  const transaction: Sql['transaction'] = (fn) => db.transaction((tx) => fn(over(tx, nested)));
  return over(db, transaction);
}

export async function openIndexDatabase(options: IndexDatabaseOptions): Promise<IndexDatabase> {
  if (options.kind === 'pglite') {
    let lock: DataDirLock | undefined;
    if (!options.dataDir.startsWith('memory://')) {
      mkdirSync(options.dataDir, { recursive: true });
      lock = lockDataDir(options.dataDir);
    }
    let pglite: PGlite;
    try {
      pglite = await PGlite.create(options.dataDir);
    } catch (error) {
      lock?.release();
      throw error;
    }
    const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
    const sql = pgliteSql(pglite);
    return {
      kind: 'pglite',
      prisma,
      sql,
      ping: async () => void (await sql.query('SELECT 1')),
      close: async () => {
        try {
          await prisma.$disconnect();
          await pglite.close();
        } finally {
          lock?.release();
        }
      },
    };
  }
  const pool = new Pool({ connectionString: options.url, max: options.poolSize });
  // An idle connection that breaks (server restart) is dropped from the pool; the next query gets a new one.
  pool.on('error', () => {});
  // @prisma/adapter-pg is typed against its own copy of pg's types: the Pool is the same class.
  const prisma = new PrismaClient({
    adapter: new PrismaPg(pool as unknown as ConstructorParameters<typeof PrismaPg>[0]),
  });
  const sql = poolSql(pool);
  return {
    kind: 'postgres',
    prisma,
    sql,
    ping: async () => void (await sql.query('SELECT 1')),
    close: async () => {
      await prisma.$disconnect();
      if (!pool.ended) await pool.end();
    },
  };
}
