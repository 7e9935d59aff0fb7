import { Global, Module } from '@nestjs/common';
import { Quotas } from './quotas.js';

/** Per-subject quotas, for the API's guard and the worker's page count. */
@Global()
@Module({ providers: [Quotas], exports: [Quotas] })
export class QuotaModule {}
