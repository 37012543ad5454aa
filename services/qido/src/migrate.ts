// Applies the index migrations and exits: the Helm pre-install / pre-upgrade Job runs this with the index
// owner's image before the services roll (the qido service also applies them at start-up).
import { loadConfig } from '@pacs/config';
import { applyMigrations, openIndexDatabase } from '@pacs/index';

async function main(): Promise<void> {
  const config = loadConfig();
  if (config.PACS_INDEX !== 'postgres') throw new Error('migrate runs against PostgreSQL (PACS_INDEX=postgres)');
  const db = await openIndexDatabase({ kind: 'postgres', url: config.PACS_DATABASE_URL, poolSize: 1 });
  try {
    const applied = await applyMigrations(db.sql);
    console.log(JSON.stringify({ msg: 'index migrations applied', migrations: applied }));
  } finally {
    await db.close();
  }
}

main().catch((error: unknown) => {
  console.error(`migration failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
