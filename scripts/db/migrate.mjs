// `prisma migrate deploy` without Prisma's download server: the native schema engine it
// needs cannot be fetched here, so we drive the same engine compiled to wasm (see
// schema-engine.mjs). It reads and writes the same `_prisma_migrations` table, so this and
// `prisma migrate deploy` can take turns on one database.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { DEFAULT_DATABASE_URL, MIGRATIONS_DIR, NO_FILTER, errorText, readMigrations, redact, withSchemaEngine, withoutTrace } from './schema-engine.mjs';

export { DEFAULT_DATABASE_URL };

// Connect to the target first, so a role without access to the maintenance database still
// works when the database exists; only a missing database (3D000) triggers CREATE DATABASE.
async function ensureDatabase(url, log) {
  const probe = new pg.Pool({ connectionString: url.href, max: 1 });
  try {
    await probe.query('SELECT 1');
    return;
  } catch (error) {
    if (error.code !== '3D000') throw error;
  } finally {
    await probe.end();
  }
  const name = decodeURIComponent(url.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.href });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    log?.(`created database ${name}`);
  } catch (error) {
    // Someone created it concurrently: 42P04, or 23505 when both CREATEs raced.
    if (error.code !== '42P04' && error.code !== '23505') throw error;
  } finally {
    await client.end();
  }
}

async function unfinishedMigrations(databaseUrl) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const { rows } = await client
    .query('SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NULL AND rolled_back_at IS NULL ORDER BY started_at')
    .finally(() => client.end());
  return rows.map((row) => row.migration_name);
}

export async function migrate(databaseUrl, { log, migrationsDir = MIGRATIONS_DIR } = {}) {
  const url = new URL(databaseUrl);
  if (!url.pathname.slice(1)) throw new Error(`DATABASE_URL names no database: ${redact(databaseUrl)}`);
  // Migrations use unqualified names; the adapter does not set search_path from ?schema=.
  const schema = url.searchParams.get('schema');
  if (schema && schema !== 'public') throw new Error(`?schema=${schema} is not supported; use a separate database`);
  await ensureDatabase(url, log);
  const migrationsList = await readMigrations(migrationsDir);
  let appliedMigrationNames;
  try {
    ({ appliedMigrationNames } = await withSchemaEngine(databaseUrl, (engine) =>
      engine.applyMigrations({ migrationsList, filters: NO_FILTER }),
    ));
  } catch (error) {
    // The wasm engine's error for a failing script does not say which migration failed.
    const failed = await unfinishedMigrations(databaseUrl).catch(() => []);
    if (failed.length > 0) {
      error.message = `${withoutTrace(error.message)}\nFailed migration(s): ${failed.join(', ')}. Fix the cause, ` +
        'mark it rolled back (`prisma migrate resolve --rolled-back <name>`, or set rolled_back_at = now() ' +
        'on its _prisma_migrations row) and migrate again.';
    }
    throw error;
  }
  for (const name of appliedMigrationNames) log?.(`applied ${name}`);
  return appliedMigrationNames;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const databaseUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
  try {
    const applied = await migrate(databaseUrl, { log: (line) => console.log(line) });
    if (applied.length === 0) console.log(`database is up to date (${redact(databaseUrl)})`);
  } catch (error) {
    console.error(`migrate failed for ${redact(databaseUrl)}:\n${errorText(error, databaseUrl)}`);
    process.exitCode = 1;
  }
}
