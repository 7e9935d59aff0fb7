import { SetMetadata } from '@nestjs/common';
import type { Scope } from './principal.js';

export const IS_PUBLIC = 'ocrflow:isPublic';
export const REQUIRED_SCOPE = 'ocrflow:requiredScope';

/** Marks a route as reachable without a token (health checks only). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** The scope a route needs besides a valid token; `admin` satisfies any. */
export const RequireScope = (scope: Scope) => SetMetadata(REQUIRED_SCOPE, scope);

export const QUEUES_PAGES = 'ocrflow:queuesPages';

/**
 * The route queues OCR pages (an upload): the guard refuses it with 429 once
 * the subject's day has no page left, before the body is read.
 */
export const QueuesPages = () => SetMetadata(QUEUES_PAGES, true);
