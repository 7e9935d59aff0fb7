import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { Public } from '../auth/public.decorator.js';
import { AppError, ErrorCode } from '../common/app-error.js';
import { HealthIndicators } from './health.indicators.js';
import { SharedCheck } from './shared-check.js';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiProblems, ref } from '../http/openapi.js';

/** How long one check's outcome answers later calls: an outage or a recovery shows within it. */
const REUSE_MS = 1_000;

/**
 * Health for load balancers and orchestrators, in every mode.
 * `/health/live` checks nothing external, so a database outage does not get
 * healthy processes restarted; `/health` and `/health/ready` check dependencies.
 */
@Public()
@ApiTags('health')
@ApiOkResponse({ schema: ref('Health') })
@Controller('health')
export class HealthController {
  /**
   * `/health` answers anyone (load balancers), and each check is a database
   * query, a Redis ping and a store check: concurrent and closely spaced calls
   * share one, so a flood of calls cannot multiply the load on them.
   */
  private readonly shared: SharedCheck<HealthCheckResult>;

  constructor(health: HealthCheckService, indicators: HealthIndicators) {
    this.shared = new SharedCheck(() => health.check(indicators.all), REUSE_MS);
  }

  @Get()
  @HealthCheck()
  @ApiProblems(503)
  async check() {
    try {
      return await this.shared.get();
    } catch (error) {
      // Terminus throws its report inside a plain 503; answer it with the envelope.
      if (error instanceof ServiceUnavailableException) throw unavailable(error.getResponse() as HealthCheckResult);
      throw error;
    }
  }

  @Get('ready')
  @HealthCheck()
  @ApiProblems(503)
  ready() {
    return this.check();
  }

  @Get('live')
  live() {
    return { status: 'ok' };
  }
}

/**
 * A 503 naming what is down, with every check's status. The checks' messages
 * stay in the log (Terminus writes them there): they are driver errors that
 * name hosts and ports, and this endpoint answers anyone.
 */
function unavailable(result: HealthCheckResult): AppError {
  const down = Object.keys(result.error ?? {});
  const detail = down.length > 0 ? `Unavailable: ${down.join(', ')}` : 'The service is shutting down';
  const checks = Object.fromEntries(Object.entries(result.details).map(([name, { status }]) => [name, { status }]));
  return new AppError(ErrorCode.SERVICE_UNAVAILABLE, detail, { checks });
}
