import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller.js';
import { HealthIndicators } from './health.indicators.js';
import { ExtractionModule } from '../modules/extraction/extraction.module.js';

@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'json' }), ExtractionModule],
  controllers: [HealthController],
  providers: [HealthIndicators],
})
export class HealthModule {}
