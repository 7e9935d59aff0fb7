import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from './list-cursor.js';

describe('list cursors', () => {
  it('round-trips the position of the last row', () => {
    const cursor = { createdAt: new Date('2026-11-22T10:00:00.123Z'), id: '6f1c1a52-9f4e-4e55-9d0e-3c3f4b2a1d00' };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
  });

  it.each(['1970-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z'])('accepts the edge date %s', (iso) => {
    const cursor = { createdAt: new Date(iso), id: '6f1c1a52-9f4e-4e55-9d0e-3c3f4b2a1d00' };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
  });

  it.each(['', 'garbage', Buffer.from('2026-01-01|not-a-uuid').toString('base64url'),
    Buffer.from('yesterday|6f1c1a52-9f4e-4e55-9d0e-3c3f4b2a1d00').toString('base64url'),
    Buffer.from('2026-01-01|6f1c1a52-9f4e-4e55-9d0e-3c3f4b2a1d00|x').toString('base64url'),
    // Dates `new Date` parses but PostgreSQL refuses, or this service never writes.
    ...[
      '0000-01-01T00:00:00.000Z',
      '-000001-01-01T00:00:00.000Z',
      '+275760-09-13T00:00:00.000Z',
      '1969-12-31T23:59:59.999Z',
      '2026-01-01',
      '2026-01-01T00:00:00Z',
      '2026-02-30T00:00:00.000Z',
      ' 2026-01-01T00:00:00.000Z',
    ].map((iso) => Buffer.from(`${iso}|ffffffff-ffff-ffff-ffff-ffffffffffff`).toString('base64url'))])(
    'rejects %j',
    (value) => expect(decodeCursor(value)).toBeUndefined(),
  );
});
