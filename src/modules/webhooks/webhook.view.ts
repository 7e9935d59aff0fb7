import type { z } from 'zod';
import type { schemas } from '../../http/openapi.schemas.js';
import type { DeliveryWithAttempts } from './webhooks.repository.js';

/** A delivery as `schemas.WebhookDelivery` describes it. The operator's WEBHOOK_URL is not shown to job owners. */
export type DeliveryView = z.infer<typeof schemas.WebhookDelivery>;

export function deliveryView(row: DeliveryWithAttempts): DeliveryView {
  return {
    id: row.id,
    event: row.eventType,
    seq: row.eventSeq,
    target: row.target === 'CALLBACK' ? 'callback' : 'global',
    url: row.target === 'CALLBACK' ? row.url : null,
    status: row.status.toLowerCase() as DeliveryView['status'],
    sequence: row.sequence,
    createdAt: row.createdAt.toISOString(),
    deliveredAt: row.deliveredAt?.toISOString() ?? null,
    attempts: row.attemptRows.map((attempt) => ({
      number: attempt.number,
      sequence: attempt.sequence,
      at: attempt.at.toISOString(),
      statusCode: attempt.statusCode,
      error: attempt.error,
      durationMs: attempt.durationMs,
      responseBody: attempt.responseBody,
    })),
  };
}
