import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { Public } from '../auth/public.decorator.js';
import { HealthIndicators } from './health.indicators.js';

/**
 * Health for load balancers and orchestrators, in every mode.
 * `/health/live` checks nothing external, so a database outage does not get
 * healthy processes restarted; `/health` and `/health/ready` check dependencies.
 */
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicators,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([this.indicators.database, this.indicators.redisQueue]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.check();
  }

  @Get('live')
  live() {
    return { status: 'ok' };
  }
}
