/** Types for verify-webhook.mjs, the receiver-side check docs/webhooks.md prints. */
export function verifyWebhook(secret: string, headers: Record<string, string | string[] | undefined>, body: string, now?: number): boolean;
