import { lookup, type LookupAddress, type LookupAllOptions, type LookupOptions } from 'node:dns';
import ipaddr from 'ipaddr.js';

/**
 * Whether the service may connect to `address` on a user's behalf. Only what
 * ipaddr.js classes as public `unicast` passes: loopback, private (RFC 1918),
 * link-local, unique-local (fc00::/7), carrier-grade NAT (100.64.0.0/10),
 * multicast, unspecified, broadcast and reserved ranges are refused, and so are
 * the IPv6 forms that can wrap any IPv4 address (6to4, Teredo, NAT64). An
 * IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) is judged as the IPv4 it maps.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.process(address); // unwraps IPv4-mapped IPv6
  return parsed.range() === 'unicast';
}

/** Raised by {@link guardedLookup} for a host that resolves to a non-public address. */
export class ForbiddenAddressError extends Error {
  readonly code = 'ERR_FORBIDDEN_ADDRESS';
  constructor(host: string, address: string) {
    super(`${host} resolves to ${address}, which is not a public address`);
    this.name = 'ForbiddenAddressError';
  }
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for `http.request`/`net.connect` that resolves the host once and
 * refuses it when any of its addresses is not public. The socket then
 * connects to an address this function handed out, so a DNS answer that
 * changes between a check and the connection (DNS rebinding) cannot slip
 * through. `allowPrivate` turns the check off.
 */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    lookup(hostname, { ...options, all: true } as LookupAllOptions, (error, addresses) => {
      if (error) return callback(error, []);
      const refused = allowPrivate ? undefined : addresses.find((entry) => !isPublicAddress(entry.address));
      if (refused) return callback(new ForbiddenAddressError(hostname, refused.address), []);
      if (options.all) return callback(null, addresses);
      const [first] = addresses;
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
      callback(null, first.address, first.family);
    });
  };
}
