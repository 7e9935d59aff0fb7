import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { JobsModule } from '../../jobs/jobs.module.js';
import { QueueName } from '../../jobs/queue-contract.js';
import { MaintenanceProcessor } from './maintenance.processor.js';
import { RetentionService } from './retention.service.js';

/** The retention purge on the maintenance queue: worker and all modes only, since a processor consumes at once. */
@Module({
  imports: [JobsModule, BullModule.registerQueue({ name: QueueName.MAINTENANCE })],
  providers: [RetentionService, MaintenanceProcessor],
})
export class RetentionModule {}
