import { Module } from '@nestjs/common';
import { DevTokenController } from './dev-token.controller.js';

/** `POST /dev/token`: imported only with `ENABLE_DEV_TOKENS=true`, in API modes. */
@Module({ controllers: [DevTokenController] })
export class DevTokensModule {}
