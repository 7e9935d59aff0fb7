import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'ocrflow:isPublic';

/** Marks a route as reachable without a token (health checks only). */
export const Public = () => SetMetadata(IS_PUBLIC, true);
