// Shared plumbing for scripts/db: the Prisma schema engine (the one behind `prisma migrate`)
// compiled to wasm, driven through adapter-pg, because the native engine cannot be downloaded
// here. Used by migrate.mjs (migrate deploy) and drift-check.mjs (migrate diff).
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import * as glue from '@prisma/schema-engine-wasm/schema_engine_bg';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MIGRATIONS_DIR = path.join(ROOT, 'prisma/migrations');
export const SCHEMA_FILE = path.join(ROOT, 'prisma/schema.prisma');
export const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/ocrflow';
export const NO_FILTER = { externalTables: [], externalEnums: [] };

let wasmReady;
// The package entry imports the .wasm as an ES module, which Node 24 prints an
// ExperimentalWarning for. Instantiating it ourselves also lets us unref the engine's
// timers, which it never clears and which otherwise keep Node alive ~10 s after the work.
function loadWasm() {
  wasmReady ??= (async () => {
    const file = fileURLToPath(new URL('schema_engine_bg.wasm', import.meta.resolve('@prisma/schema-engine-wasm')));
    const imports = { ...glue };
    for (const name of Object.keys(glue).filter((n) => n.startsWith('__wbg_setTimeout_'))) {
      imports[name] = (...args) => glue[name](...args).unref();
    }
    const { instance } = await WebAssembly.instantiate(await readFile(file), { './schema_engine_bg.js': imports });
    glue.__wbg_set_wasm(instance.exports);
    instance.exports.__wbindgen_start();
  })();
  return wasmReady;
}

// One connection per database: the engine's session-level advisory lock and the migration
// script must share a session. Engine 8.1 also reads catalog columns of type "char", which
// adapter-pg 7.10 rejects ("could not be deserialized"); they are plain strings, so call them text.
function openPool(url) {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  const query = pool.query.bind(pool);
  pool.query = async (...args) => {
    const result = await query(...args);
    for (const field of result?.fields ?? []) if (field.dataTypeID === 18) field.dataTypeID = 25;
    return result;
  };
  return pool;
}

class MigrationAdapterFactory extends PrismaPg {
  constructor(url, pool) {
    super(pool);
    this.url = url;
    this.pool = pool;
  }

  // adapter-pg splits scripts on every ";" and runs the pieces separately, which breaks
  // literals and function bodies and can leave half a migration behind. The native engine
  // sends the whole script as one simple query (one implicit transaction): do the same.
  async connect() {
    const adapter = await super.connect();
    adapter.executeScript = async (script) => {
      try {
        await adapter.underlyingDriver().query(script);
      } catch (error) {
        adapter.onError(error);
      }
    };
    return adapter;
  }

  // Same as adapter-pg's own version, but with the pool fixes above and a quoted name.
  async connectToShadowDb() {
    const name = `prisma_migrate_shadow_db_${crypto.randomUUID()}`;
    await this.pool.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    const url = new URL(this.url);
    url.pathname = `/${name}`;
    const pool = openPool(url.href);
    const adapter = await new MigrationAdapterFactory(url.href, pool).connect();
    adapter.dispose = async () => {
      await pool.end();
      await this.pool.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    };
    return adapter;
  }
}

// Runs fn(engine, schemaText). The engine's own log lines are INFO chatter; failures are thrown.
export async function withSchemaEngine(databaseUrl, fn) {
  await loadWasm();
  const schema = await readFile(SCHEMA_FILE, 'utf8');
  const pool = openPool(databaseUrl);
  try {
    const factory = bindMigrationAwareSqlAdapterFactory(new MigrationAdapterFactory(databaseUrl, pool));
    const engine = await glue.SchemaEngine.new({ datamodels: [[SCHEMA_FILE, schema]] }, () => {}, factory);
    try {
      return await fn(engine, schema);
    } finally {
      engine.free();
    }
  } finally {
    await pool.end();
  }
}

// The shape `prisma migrate deploy` hands the engine (same lockfile, same sort order).
export async function readMigrations(baseDir = MIGRATIONS_DIR) {
  const lockContent = await readFile(path.join(baseDir, 'migration_lock.toml'), 'utf8').catch(() => null);
  const entries = await readdir(baseDir, { withFileTypes: true }).catch(() => []);
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort((a, b) => a.localeCompare(b));
  const read = (name) => readFile(path.join(baseDir, name, 'migration.sql'), 'utf8').then(
    (value) => ({ tag: 'ok', value }),
    (error) => ({ tag: 'error', value: error.message }),
  );
  const migrationDirectories = await Promise.all(
    names.map(async (name) => ({ path: name, migrationFile: { path: 'migration.sql', content: await read(name) } })),
  );
  return { baseDir, lockfile: { path: 'migration_lock.toml', content: lockContent }, shadowDbInitScript: '', migrationDirectories };
}

export function redact(url) {
  if (!URL.canParse(url)) return '(unparsable DATABASE_URL)';
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.href;
}

// Engine errors end with a Rust span trace ("   0: schema_engine_wasm::...") that helps nobody.
export const withoutTrace = (message) => String(message).split(/\n\s+0: /)[0].trim();

export function errorText(error, databaseUrl) {
  let text = withoutTrace(error?.message ?? error);
  const password = URL.canParse(databaseUrl) ? new URL(databaseUrl).password : '';
  if (!password) return text;
  let decoded = password;
  try {
    decoded = decodeURIComponent(password);
  } catch {}
  return text.replaceAll(password, '***').replaceAll(decoded, '***');
}
