// The index schema's generated artefacts, offline (Prisma's CLI cannot download its schema engine here):
//   node scripts/codegen/migrations.mjs client        prisma generate → libs/index/src/generated/prisma
//   node scripts/codegen/migrations.mjs new <name>     a new migration: the SQL from the committed migrations to schema.prisma
//   node scripts/codegen/migrations.mjs check          fails when schema.prisma and the migrations disagree
// The diff runs Prisma's schema engine (WebAssembly build) over an in-memory PGlite that has every
// committed migration applied.
import { PGlite } from '@electric-sql/pglite';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import { SchemaEngine } from '@prisma/schema-engine-wasm';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PrismaPGlite } from 'pglite-prisma-adapter';

const root = join(import.meta.dirname, '..', '..');
const prismaDir = join(root, 'libs/index/prisma');
const schemaPath = join(prismaDir, 'schema.prisma');
const migrationsDir = join(prismaDir, 'migrations');

function generateClient() {
  execFileSync(join(root, 'node_modules/.bin/prisma'), ['generate', '--schema', schemaPath], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      PRISMA_SCHEMA_ENGINE_BINARY: '/bin/false',
      CHECKPOINT_DISABLE: '1',
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
    },
  });
}

const migrationNames = () =>
  existsSync(migrationsDir)
    ? readdirSync(migrationsDir)
        .filter((d) => /^\d{14}_/.test(d))
        .sort()
    : [];

/** The SQL that takes a database with every committed migration applied to schema.prisma ('' when none). */
async function pendingSql() {
  const db = new PGlite();
  for (const name of migrationNames()) await db.exec(readFileSync(join(migrationsDir, name, 'migration.sql'), 'utf8'));
  const schema = readFileSync(schemaPath, 'utf8');
  const engine = await SchemaEngine.new(
    { datamodels: [['schema.prisma', schema]] },
    () => {},
    bindMigrationAwareSqlAdapterFactory(new PrismaPGlite(db)),
  );
  const { stdout } = await engine.diff({
    from: migrationNames().length
      ? { tag: 'schemaDatasource', files: [{ path: 'schema.prisma', content: schema }], configDir: prismaDir }
      : { tag: 'empty' },
    to: { tag: 'schemaDatamodel', files: [{ path: 'schema.prisma', content: schema }] },
    script: true,
    shadowDatabaseUrl: null,
    exitCode: null,
    filters: { externalTables: ['public._prisma_migrations'], externalEnums: [] },
  });
  await db.close();
  return withoutRecreatedIndexes(stdout.replace(/^-- This is an empty migration\.\s*$/m, ''));
}

/**
 * The engine's introspection does not read operator classes of B-tree indexes back (text_pattern_ops),
 * so it proposes to drop and re-create them unchanged. Leave out every such pair whose CREATE statement
 * is already, word for word, in a committed migration.
 */
function withoutRecreatedIndexes(sql) {
  const committed = migrationNames()
    .map((name) => readFileSync(join(migrationsDir, name, 'migration.sql'), 'utf8'))
    .join('\n');
  const statements = sql
    .split(/\n(?=-- )/)
    .map((s) => s.trim())
    .filter(Boolean);
  const recreated = new Set(
    statements
      .map((s) => /^-- CreateIndex\n(CREATE INDEX "([^"]+)"[^;]*;)$/.exec(s))
      .filter((m) => m && committed.includes(m[1]))
      .map((m) => m[2]),
  );
  return statements
    .filter((s) => {
      const m = /^-- (?:DropIndex\nDROP|CreateIndex\nCREATE) INDEX "([^"]+)"/.exec(s);
      return !(m && recreated.has(m[1]));
    })
    .join('\n\n');
}

const [command, name] = process.argv.slice(2);
if (command === 'client') {
  generateClient();
} else if (command === 'new') {
  if (!name || !/^[a-z0-9_]+$/.test(name)) throw new Error('usage: migrations.mjs new <snake_case_name>');
  const sql = await pendingSql();
  if (!sql) {
    console.log('schema.prisma and the migrations agree: nothing to generate');
  } else {
    const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
    mkdirSync(join(migrationsDir, `${stamp}_${name}`), { recursive: true });
    writeFileSync(join(migrationsDir, `${stamp}_${name}`, 'migration.sql'), `${sql}\n`);
    console.log(`wrote prisma/migrations/${stamp}_${name}/migration.sql`);
  }
} else if (command === 'check') {
  const sql = await pendingSql();
  if (sql) {
    console.error(
      `schema.prisma differs from the migrations; run: node scripts/codegen/migrations.mjs new <name>\n${sql}`,
    );
    process.exit(1);
  }
} else {
  throw new Error('usage: migrations.mjs client | new <name> | check');
}
