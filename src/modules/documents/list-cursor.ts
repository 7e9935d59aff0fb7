import type { ListCursor } from './jobs.repository.js';

/** Opaque cursors for `GET /jobs`: clients pass back what they were given. */
export function encodeCursor(cursor: ListCursor): string {
  return Buffer.from(`${cursor.createdAt.toISOString()}|${cursor.id}`).toString('base64url');
}

/** Returns undefined for anything that is not a cursor this service issued. */
export function decodeCursor(value: string): ListCursor | undefined {
  const [iso, id, extra] = Buffer.from(value, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(iso ?? '');
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  if (extra !== undefined || Number.isNaN(createdAt.getTime()) || !uuid.test(id ?? '')) return undefined;
  return { createdAt, id: id! };
}
