import { describe, expect, it } from 'vitest';
import { guardedLookup, isPublicAddress } from './public-address.js';

describe('isPublicAddress', () => {
  it('passes public unicast IPv4 and IPv6 only', () => {
    for (const address of ['8.8.8.8', '93.184.216.34', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect(isPublicAddress(address)).toBe(true);
  });

  it('refuses loopback, private, link-local, CGNAT, multicast, unspecified, unique-local, mapped and wrapping forms', () => {
    const refused = [
      '127.0.0.1', '127.8.9.10', '10.0.0.1', '172.16.5.4', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0',
      '224.0.0.1', '255.255.255.255', '192.0.2.1', '::1', '::', 'fe80::1', 'fc00::1', 'fd12:3456::1', 'ff02::1',
      '::ffff:127.0.0.1', '::ffff:10.0.0.1', '64:ff9b::a00:1', '2002:a00:1::', 'not an address',
    ];
    for (const address of refused) expect([address, isPublicAddress(address)]).toEqual([address, false]);
  });
});

describe('guardedLookup', () => {
  const lookup = (allowPrivate: boolean, host: string, all = false) =>
    new Promise<{ error: Error | null; address: unknown }>((resolve) =>
      guardedLookup(allowPrivate)(host, { all }, (error, address) => resolve({ error, address })),
    );

  it('refuses a host that resolves to loopback, unless private addresses are allowed', async () => {
    expect((await lookup(false, 'localhost')).error?.message).toMatch(/not a public address/);
    const allowed = await lookup(true, 'localhost');
    expect(allowed.error).toBeNull();
    expect(['127.0.0.1', '::1']).toContain(allowed.address);
    expect(Array.isArray((await lookup(true, 'localhost', true)).address)).toBe(true);
  });
});
