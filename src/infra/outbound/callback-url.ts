import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { AppError, ErrorCode } from '../../common/app-error.js';
import { withTimeout } from '../../common/with-timeout.js';
import { isPublicAddress } from './public-address.js';

/** Longest callback URL accepted: browsers' and most servers' practical limit. */
export const MAX_CALLBACK_URL_LENGTH = 2048;

/** How long an upload waits for the callback host's DNS answer. */
const RESOLVE_TIMEOUT_MS = 5_000;

/**
 * Checks a job's `callbackUrl` at upload: http(s), at most 2048 characters, no
 * user name or password in it, and a host whose every address is public unless
 * `allowPrivate`. The same address check runs again on every delivery
 * (`guardedLookup`), since DNS may answer differently later.
 *
 * @throws AppError CALLBACK_URL_INVALID (malformed, or the host does not
 *   resolve), CALLBACK_URL_FORBIDDEN (a non-public address).
 */
export async function checkCallbackUrl(text: string, { allowPrivate }: { allowPrivate: boolean }): Promise<string> {
  const url = text.length <= MAX_CALLBACK_URL_LENGTH ? URL.parse(text) : null;
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
    throw invalid(`callbackUrl must be an http or https URL of at most ${MAX_CALLBACK_URL_LENGTH} characters`);
  }
  if (url.username || url.password) throw invalid('callbackUrl must not carry a user name or password');
  if (allowPrivate) return url.href;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const addresses = ipaddr.isValid(host) ? [host] : await resolve(host);
  const refused = addresses.find((address) => !isPublicAddress(address));
  if (refused) {
    throw new AppError(ErrorCode.CALLBACK_URL_FORBIDDEN, 'callbackUrl points at a loopback, private or otherwise non-public address', {
      errors: [{ field: 'callbackUrl', message: 'not a public address' }],
    });
  }
  return url.href;
}

async function resolve(host: string): Promise<string[]> {
  const answer = lookup(host, { all: true, verbatim: true }).then((entries) => entries.map((entry) => entry.address));
  try {
    return await withTimeout(answer, RESOLVE_TIMEOUT_MS, () => {
      throw new Error('timed out');
    });
  } catch {
    throw invalid('the host of callbackUrl does not resolve');
  }
}

function invalid(message: string): AppError {
  return new AppError(ErrorCode.CALLBACK_URL_INVALID, message, { errors: [{ field: 'callbackUrl', message }] });
}
