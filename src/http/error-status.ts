import { ErrorCode } from '../common/app-error.js';

/** The one place that maps stable error codes to HTTP statuses. */
export const STATUS_OF: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  VALIDATION_FAILED: 400,
  SCHEMA_INVALID: 400,
  FILE_REQUIRED: 400,
  FILE_EMPTY: 400,
  CALLBACK_URL_INVALID: 400,
  CALLBACK_URL_FORBIDDEN: 400,
  WEBHOOKS_DISABLED: 400,
  LANGUAGE_NOT_INSTALLED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  REQUEST_TIMEOUT: 408,
  JOB_NOT_FINISHED: 409,
  RESULT_UNAVAILABLE: 409,
  JOB_FINISHED: 409,
  JOB_NOT_RETRYABLE: 409,
  IDEMPOTENCY_KEY_IN_PROGRESS: 409,
  IDEMPOTENCY_KEY_REUSED: 422,
  FILE_TOO_LARGE: 413,
  URI_TOO_LONG: 414,
  RANGE_NOT_SATISFIABLE: 416,
  UNSUPPORTED_MEDIA_TYPE: 415,
  CORRUPT_FILE: 422,
  IMAGE_TOO_LARGE: 422,
  // Raised in the worker only (a job's error.code); mapped for completeness.
  PAGE_TOO_LARGE: 422,
  TOO_MANY_PAGES: 422,
  PAGES_OUT_OF_RANGE: 422,
  PASSWORD_REQUIRED: 422,
  PASSWORD_INCORRECT: 422,
  PASSWORD_UNREADABLE: 500,
  DOCUMENT_TOO_COMPLEX: 422,
  SEARCHABLE_PDF_UNSUPPORTED: 422,
  RATE_LIMITED: 429,
  QUOTA_EXCEEDED: 429,
  HEADERS_TOO_LARGE: 431,
  INTERNAL: 500,
  OCR_TIMEOUT: 500,
  // The deployment lacks what the request needs (a key to keep passwords with).
  PASSWORD_UNSUPPORTED: 501,
  QUEUE_UNAVAILABLE: 503,
  STORAGE_UNAVAILABLE: 503,
  SERVICE_UNAVAILABLE: 503,
};

/** Codes for errors raised by Nest or Fastify themselves, by HTTP status. */
export function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 401:
      return ErrorCode.UNAUTHORIZED;
    case 403:
      return ErrorCode.FORBIDDEN;
    case 404:
      return ErrorCode.NOT_FOUND;
    case 408:
      return ErrorCode.REQUEST_TIMEOUT;
    case 413:
      return ErrorCode.FILE_TOO_LARGE;
    case 414:
      return ErrorCode.URI_TOO_LONG;
    case 415:
      return ErrorCode.UNSUPPORTED_MEDIA_TYPE;
    case 429:
      return ErrorCode.RATE_LIMITED;
    case 431:
      return ErrorCode.HEADERS_TOO_LARGE;
    case 503:
      return ErrorCode.SERVICE_UNAVAILABLE;
    default:
      return status >= 500 ? ErrorCode.INTERNAL : ErrorCode.BAD_REQUEST;
  }
}
