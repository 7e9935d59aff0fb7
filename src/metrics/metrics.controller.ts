import { Controller, Get, Res } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/public.decorator.js';
import { MetricsService } from './metrics.service.js';

/**
 * `GET /metrics` in Prometheus's text format, on whatever port the mode
 * serves (the API's, or a worker's health port). Public like `/health`, since
 * scrapers carry no token: it holds counts and timings, never ids or text.
 * Scrapes are not rate-limited.
 */
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @RouteConfig({ rateLimit: false })
  async scrape(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    reply.header('content-type', this.metrics.registry.contentType);
    return this.metrics.scrape();
  }
}
