import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { mkdirSync } from 'node:fs';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from './generated/prisma/client';
import type { Sql } from './sql';

export type IndexDatabaseOptions =
  | { kind: 'pglite'; /** a folder, or 'memory://' */ dataDir: string }
  | { kind: 'postgres'; url: string; poolSize: number };

export interface IndexDatabase {
  readonly kind: IndexDatabaseOptions['kind'];
  readonly prisma: PrismaClient;
  readonly sql: Sql;
  /** Cheap liveness query for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

type RawClient = Pick<PrismaClient, '$queryRawUnsafe' | '$executeRawUnsafe'>;

function sqlOver(client: RawClient, transaction: Sql['transaction']): Sql {
  return {
    query: <T>(text: string, params: readonly unknown[] = []) => client.$queryRawUnsafe<T[]>(text, ...params),
    execute: (text, params = []) => client.$executeRawUnsafe(text, ...params),
    transaction,
  };
}

export async function openIndexDatabase(options: IndexDatabaseOptions): Promise<IndexDatabase> {
  let pglite: PGlite | undefined;
  let prisma: PrismaClient;
  if (options.kind === 'pglite') {
    if (!options.dataDir.startsWith('memory://')) mkdirSync(options.dataDir, { recursive: true });
    pglite = await PGlite.create(options.dataDir);
    prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  } else {
    prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: options.url, max: options.poolSize }) });
  }
  const transaction: Sql['transaction'] = (fn) =>
    prisma.$transaction(
      (tx) => fn(sqlOver(tx, () => Promise.reject(new Error('nested transactions are not supported')))),
      {
        maxWait: 10_000,
        timeout: 60_000,
      },
    );
  const sql = sqlOver(prisma, transaction);
  return {
    kind: options.kind,
    prisma,
    sql,
    ping: async () => {
      await sql.query('SELECT 1');
    },
    close: async () => {
      await prisma.$disconnect();
      await pglite?.close();
    },
  };
}
