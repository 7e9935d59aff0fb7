import type { ZodError } from 'zod';
/**
 * Stable error codes. Clients branch on these, so a code never changes meaning;
 * add new ones instead.
 */
export const ErrorCode = {
  BAD_REQUEST: 'BAD_REQUEST',
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  FILE_REQUIRED: 'FILE_REQUIRED',
  FILE_EMPTY: 'FILE_EMPTY',
  FILE_TOO_LARGE: 'FILE_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  CORRUPT_FILE: 'CORRUPT_FILE',
  IMAGE_TOO_LARGE: 'IMAGE_TOO_LARGE',
  PAGE_TOO_LARGE: 'PAGE_TOO_LARGE',
  TOO_MANY_PAGES: 'TOO_MANY_PAGES',
  PAGES_OUT_OF_RANGE: 'PAGES_OUT_OF_RANGE',
  SCHEMA_INVALID: 'SCHEMA_INVALID',
  PASSWORD_REQUIRED: 'PASSWORD_REQUIRED',
  PASSWORD_INCORRECT: 'PASSWORD_INCORRECT',
  /** This deployment cannot keep a password safely (no `JOB_SECRETS_KEY` in an API process). */
  PASSWORD_UNSUPPORTED: 'PASSWORD_UNSUPPORTED',
  /** The worker cannot decrypt the job's password: its `JOB_SECRETS_KEY` differs from the API's. */
  PASSWORD_UNREADABLE: 'PASSWORD_UNREADABLE',
  DOCUMENT_TOO_COMPLEX: 'DOCUMENT_TOO_COMPLEX',
  /** The document cannot be written as a searchable PDF (an encrypted PDF: its pages cannot be copied readable). */
  SEARCHABLE_PDF_UNSUPPORTED: 'SEARCHABLE_PDF_UNSUPPORTED',
  JOB_NOT_FINISHED: 'JOB_NOT_FINISHED',
  RESULT_UNAVAILABLE: 'RESULT_UNAVAILABLE',
  JOB_FINISHED: 'JOB_FINISHED',
  /** A `Range` header that asks for none of an artifact's bytes. */
  RANGE_NOT_SATISFIABLE: 'RANGE_NOT_SATISFIABLE',
  JOB_NOT_RETRYABLE: 'JOB_NOT_RETRYABLE',
  IDEMPOTENCY_KEY_REUSED: 'IDEMPOTENCY_KEY_REUSED',
  IDEMPOTENCY_KEY_IN_PROGRESS: 'IDEMPOTENCY_KEY_IN_PROGRESS',
  /** A job asked for an OCR language this deployment has not installed (`OCR_LANGS`). */
  LANGUAGE_NOT_INSTALLED: 'LANGUAGE_NOT_INSTALLED',
  OCR_TIMEOUT: 'OCR_TIMEOUT',
  QUEUE_UNAVAILABLE: 'QUEUE_UNAVAILABLE',
  STORAGE_UNAVAILABLE: 'STORAGE_UNAVAILABLE',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  HEADERS_TOO_LARGE: 'HEADERS_TOO_LARGE',
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  URI_TOO_LONG: 'URI_TOO_LONG',
  RATE_LIMITED: 'RATE_LIMITED',
  QUOTA_EXCEEDED: 'QUOTA_EXCEEDED',
  CALLBACK_URL_INVALID: 'CALLBACK_URL_INVALID',
  CALLBACK_URL_FORBIDDEN: 'CALLBACK_URL_FORBIDDEN',
  WEBHOOKS_DISABLED: 'WEBHOOKS_DISABLED',
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** A failure the service understands: it has a stable code and a message safe to show. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra, non-secret detail for the client, e.g. field errors. */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/**
 * A 400 naming each field at fault, the one mapping of zod's issues for every
 * input (query, form fields, JSON body). It never echoes a value: one may be a
 * password. `whole` names an issue about the input as a whole.
 */
export function validationFailed(message: string, error: ZodError, whole = ''): AppError {
  return new AppError(ErrorCode.VALIDATION_FAILED, message, {
    errors: error.issues.map((issue) =>
      issue.code === 'unrecognized_keys'
        ? { field: issue.keys.join(', '), message: 'not a field this API accepts' }
        : { field: issue.path.join('.') || whole, message: issue.message },
    ),
  });
}

/**
 * A document the worker cannot process no matter how often it retries
 * (corrupt, unsupported, too large). Processors turn it into a permanent failure.
 */
export class DocumentError extends AppError {
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
    this.name = 'DocumentError';
  }
}
