import { createHmac } from 'node:crypto';

/**
 * The Standard Webhooks signature (standardwebhooks.com, "Signature scheme"):
 * HMAC-SHA256 over `${id}.${timestamp}.${body}` keyed with the base64 part of
 * a `whsec_` secret, sent as `webhook-signature: v1,<base64>`. Node's own
 * HMAC, not the `standardwebhooks` package (pure-JS SHA-256); the tests verify
 * our deliveries with that package, the reference implementation.
 */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** The headers of one attempt, signed at the moment it is sent (the timestamp is the attempt's). */
export function webhookHeaders(secret: string, id: string, body: string, now = Date.now()): Record<string, string> {
  const timestamp = Math.floor(now / 1000);
  return {
    'content-type': 'application/json',
    'user-agent': 'ocrflow-webhooks/1',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signWebhook(secret, id, timestamp, body),
  };
}
