import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppError, ErrorCode } from '../../common/app-error.js';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.js';
import { JobsRepository } from '../../jobs/jobs.repository.js';
import { deliveryView, type DeliveryView } from './webhook.view.js';
import { WebhookProducer } from './webhook.producer.js';
import { WebhooksRepository } from './webhooks.repository.js';

/** A job's webhook deliveries, on behalf of the job's owner. */
@Injectable()
export class WebhooksService {
  private readonly logger = new Logger(WebhooksService.name);

  constructor(
    private readonly jobs: JobsRepository,
    private readonly repository: WebhooksRepository,
    private readonly producer: WebhookProducer,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Deliveries in event order; another owner's job is a 404, as on `GET /jobs/:id`. */
  async list(ownerId: string | undefined, jobId: string, query: { limit: number; cursor?: string }): Promise<{ items: DeliveryView[]; nextCursor: string | null }> {
    await this.owned(ownerId, jobId);
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const rows = await this.repository.list(jobId, { limit: query.limit + 1, after });
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return { items: page.map(deliveryView), nextCursor: rows.length > query.limit && last ? `${last.eventSeq}.${last.id}` : null };
  }

  /**
   * Starts a new attempt sequence of a delivery, whatever its status: the
   * same `webhook-id` and body, so a receiver that deduplicates on the id
   * can tell it is the same event.
   */
  async redeliver(ownerId: string | undefined, jobId: string, deliveryId: string): Promise<DeliveryView> {
    await this.owned(ownerId, jobId);
    if (!this.config.webhooks) throw new AppError(ErrorCode.WEBHOOKS_DISABLED, 'Webhooks are not enabled on this service (no WEBHOOK_SECRET)');
    const delivery = await this.repository.redeliver(jobId, deliveryId);
    if (!delivery) throw new AppError(ErrorCode.NOT_FOUND, 'Delivery not found');
    try {
      await this.producer.enqueue([delivery]);
    } catch (error) {
      // The row is pending under its new sequence: the worker's sweep queues it.
      this.logger.warn({ err: error, jobId, deliveryId }, 'queueing a redelivery failed; the sweep will queue it');
    }
    return deliveryView({ ...delivery, attemptRows: [] });
  }

  private async owned(ownerId: string | undefined, jobId: string): Promise<void> {
    if (!(await this.jobs.findOwned(jobId, ownerId))) throw new AppError(ErrorCode.NOT_FOUND, 'Job not found');
  }
}

/** `<eventSeq>.<deliveryId>`, as `list` hands it out. */
function decodeCursor(cursor: string): { eventSeq: number; id: string } {
  const match = /^(\d{1,9})\.([0-9a-f-]{36})$/.exec(cursor);
  if (!match) {
    throw new AppError(ErrorCode.VALIDATION_FAILED, 'cursor is not valid', { errors: [{ field: 'cursor', message: 'not a cursor returned by this API' }] });
  }
  return { eventSeq: Number(match[1]), id: match[2]! };
}
