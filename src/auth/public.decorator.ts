import { SetMetadata } from '@nestjs/common';
import type { Scope } from './principal.js';

export const IS_PUBLIC = 'ocrflow:isPublic';
export const REQUIRED_SCOPE = 'ocrflow:requiredScope';

/** Marks a route as reachable without a token (health checks only). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** The scope a route needs besides a valid token; `admin` satisfies any. */
export const RequireScope = (scope: Scope) => SetMetadata(REQUIRED_SCOPE, scope);
