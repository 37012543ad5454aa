import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sql } from './sql';

/** The committed migrations: libs/index/prisma/migrations (copied beside dist/ by the build). */
export const migrationsDir = join(__dirname, '..', 'prisma', 'migrations');

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export function listMigrations(dir = migrationsDir): Migration[] {
  if (!existsSync(dir)) throw new Error(`No migrations folder at ${dir}`);
  return readdirSync(dir)
    .filter((name) => /^\d{14}_[a-z0-9_]+$/.test(name))
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

// A fixed key for pg_advisory_xact_lock: replicas of the index owner starting together apply each
// migration once.
const MIGRATION_LOCK_KEY = 7_460_001;

/**
 * Applies every committed migration not applied yet, in order, each in its own transaction, and records
 * it in `_prisma_migrations` with the same columns and checksum rule as `prisma migrate deploy`, so either
 * tool can take over. A migration whose file changed after it was applied is an error, not a silent skip.
 * Another store in the same database (a feature's own tables) passes its own migrations and history table.
 */
export async function applyMigrations(
  sql: Sql,
  migrations = listMigrations(),
  options: { table?: string } = {},
): Promise<string[]> {
  const table = options.table ?? '_prisma_migrations';
  if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new Error(`Invalid migration table name ${table}`);
  await sql.execute(`CREATE TABLE IF NOT EXISTS "${table}" (
    "id" VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum" VARCHAR(64) NOT NULL,
    "finished_at" TIMESTAMPTZ,
    "migration_name" VARCHAR(255) NOT NULL,
    "logs" TEXT,
    "rolled_back_at" TIMESTAMPTZ,
    "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count" INTEGER NOT NULL DEFAULT 0
  )`);
  const applied: string[] = [];
  for (const migration of migrations) {
    const done = await sql.transaction(async (tx) => {
      await tx.execute('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      const rows = await tx.query<{ checksum: string }>(
        `SELECT checksum FROM "${table}" WHERE migration_name = $1 AND finished_at IS NOT NULL AND rolled_back_at IS NULL`,
        [migration.name],
      );
      if (rows.length > 0) {
        if (rows[0]!.checksum !== migration.checksum) {
          throw new Error(`Migration ${migration.name} was changed after it was applied (checksum differs)`);
        }
        return false;
      }
      for (const statement of splitStatements(migration.sql)) await tx.execute(statement);
      await tx.execute(
        `INSERT INTO "${table}" (id, checksum, finished_at, migration_name, applied_steps_count) VALUES ($1, $2, now(), $3, 1)`,
        [randomUUID(), migration.checksum, migration.name],
      );
      return true;
    });
    if (done) applied.push(migration.name);
  }
  return applied;
}

/**
 * Splits a migration into statements (the driver adapters run one statement per call). The generated SQL has
 * no dollar-quoted bodies; semicolons inside quoted strings and comments are respected anyway.
 */
export function splitStatements(script: string): string[] {
  const statements: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (let i = 0; i < script.length; i++) {
    const c = script[i]!;
    if (!quote && c === '-' && script[i + 1] === '-') {
      const end = script.indexOf('\n', i);
      i = end === -1 ? script.length : end;
      current += '\n';
      continue;
    }
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === ';') {
      if (current.trim()) statements.push(current.trim());
      current = '';
      continue;
    }
    current += c;
  }
  if (current.trim()) statements.push(current.trim());
  return statements;
}
