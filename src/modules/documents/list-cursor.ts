import type { ListCursor } from '../../jobs/jobs.repository.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Rows are created now; four-digit years are all a cursor can carry. */
const EARLIEST = 0;
const LATEST = Date.UTC(10_000, 0, 1) - 1;

/** Opaque cursors for `GET /jobs`: clients pass back what they were given. */
export function encodeCursor(cursor: ListCursor): string {
  return Buffer.from(`${cursor.createdAt.toISOString()}|${cursor.id}`).toString('base64url');
}

/**
 * Returns undefined for anything that is not a cursor this service issued.
 * The date must be written exactly as {@link encodeCursor} writes it, in
 * 1970–9999: `new Date` also parses year 0 and ±6-digit years, and PostgreSQL
 * answers year 0 with an error, so a forged cursor became a 500.
 */
export function decodeCursor(value: string): ListCursor | undefined {
  const [iso = '', id = '', extra] = Buffer.from(value, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(iso);
  const time = createdAt.getTime();
  const issued = time >= EARLIEST && time <= LATEST && createdAt.toISOString() === iso;
  if (extra !== undefined || !issued || !UUID.test(id)) return undefined;
  return { createdAt, id };
}
