import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { ForbiddenAddressError, guardedLookup, isPublicAddress } from '../../infra/outbound/public-address.js';

/** The start of a receiver's answer kept with the attempt: enough to read an error, never a whole page. */
export const MAX_RESPONSE_BYTES = 1024;

/** How an attempt ended, as the metrics label it. */
export type AttemptResult = 'success' | 'http_error' | 'network_error' | 'timeout' | 'forbidden';

export interface AttemptOutcome {
  result: AttemptResult;
  statusCode?: number;
  /** Why it failed without an answer: the socket's code and message. */
  error?: string;
  durationMs: number;
  responseBody?: string;
}

/**
 * POSTs one webhook. Redirects are not followed (a 3xx is a failed attempt);
 * unless `allowPrivate`, the host is resolved once by {@link guardedLookup} and
 * the address the socket actually connected to is checked again before a
 * byte is sent, which covers IP-literal hosts too (they skip the lookup).
 * Never throws: every ending is an {@link AttemptOutcome}.
 */
export function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  { timeoutMs, allowPrivate }: { timeoutMs: number; allowPrivate: boolean },
): Promise<AttemptOutcome> {
  const started = performance.now();
  const signal = AbortSignal.timeout(timeoutMs);
  const target = new URL(url);
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let settled = false;
    const done = (outcome: Omit<AttemptOutcome, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...outcome, durationMs: elapsed() });
    };
    const request = (target.protocol === 'https:' ? https : http).request(target, {
      method: 'POST',
      headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      agent: false,
      lookup: guardedLookup(allowPrivate),
      signal,
    });
    request.on('socket', (socket: Socket) => {
      socket.once('connect', () => {
        const address = socket.remoteAddress ?? '';
        if (!allowPrivate && !isPublicAddress(address)) request.destroy(new ForbiddenAddressError(target.hostname, address));
      });
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error instanceof ForbiddenAddressError || error.cause instanceof ForbiddenAddressError) {
        return done({ result: 'forbidden', error: (error.cause ?? error).toString().slice(0, 500) });
      }
      if (signal.aborted) return done({ result: 'timeout', error: `no answer within ${timeoutMs} ms` });
      done({ result: 'network_error', error: `${error.code ?? error.name}: ${error.message}`.slice(0, 500) });
    });
    request.on('response', (response) => {
      const statusCode = response.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = () => {
        response.destroy();
        const responseBody = Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES).toString('utf8').replace(/\u0000/g, '');
        done({ result: statusCode >= 200 && statusCode < 300 ? 'success' : 'http_error', statusCode, responseBody });
      };
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= MAX_RESPONSE_BYTES) finish();
      });
      response.on('end', finish);
      // The status is in: a body cut short (timeout, reset) does not change the outcome.
      response.on('error', finish);
      response.on('close', finish);
    });
    request.end(body);
  });
}
