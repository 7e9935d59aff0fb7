import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.js';
import { MetricsService } from '../../metrics/metrics.service.js';
import { postWebhook } from './webhook-sender.js';
import { webhookHeaders } from './webhook-signature.js';
import { WebhooksRepository } from './webhooks.repository.js';

/** An attempt that failed and is worth another: BullMQ retries it with backoff. */
export class WebhookAttemptFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookAttemptFailed';
  }
}

/** Sends one attempt of a delivery sequence and records it. */
@Injectable()
export class WebhookDeliveryService {
  private readonly logger = new Logger(WebhookDeliveryService.name);

  constructor(
    private readonly repository: WebhooksRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  /**
   * One attempt. Skips a delivery that is done, gone, or redelivered since
   * (a newer sequence has its own queue entry), so a queue entry run twice
   * sends at most once more. Throws to have BullMQ retry: a non-2xx answer, a
   * connection error or a timeout; a non-public address is not retried.
   */
  async attempt(deliveryId: string, sequence: number, { attempt, lastAttempt }: { attempt: number; lastAttempt: boolean }): Promise<void> {
    const webhooks = this.config.webhooks!;
    const delivery = await this.repository.find(deliveryId);
    if (!delivery || delivery.status !== 'PENDING' || delivery.sequence !== sequence) return;

    const headers = webhookHeaders(webhooks.secret, delivery.id, delivery.payload);
    // The operator's WEBHOOK_URL is trusted; a user's callback URL is held to public addresses.
    const allowPrivate = webhooks.allowPrivate || delivery.target === 'GLOBAL';
    const outcome = await postWebhook(delivery.url, headers, delivery.payload, { timeoutMs: webhooks.timeoutMs, allowPrivate });
    const permanent = outcome.result === 'forbidden';
    const status = outcome.result === 'success' ? 'DELIVERED' : lastAttempt || permanent ? 'FAILED' : undefined;
    const number = await this.repository.recordAttempt(delivery, sequence, outcome, status);
    this.metrics?.webhookAttempt(outcome.result, outcome.durationMs);
    if (status) this.metrics?.webhookFinished(delivery.eventType, status === 'DELIVERED' ? 'delivered' : 'failed');
    if (status === 'DELIVERED') return;

    const cause = outcome.statusCode ? `answered ${outcome.statusCode}` : outcome.error;
    const context = { jobId: delivery.jobId, deliveryId, event: delivery.eventType, attempt, number, result: outcome.result, cause };
    if (status === 'FAILED') this.logger.error(context, 'webhook delivery failed for good');
    else this.logger.warn(context, 'webhook attempt failed; retrying with backoff');
    if (permanent) throw new UnrecoverableError(`webhook refused: ${cause}`);
    throw new WebhookAttemptFailed(`webhook attempt failed: ${cause}`);
  }
}
