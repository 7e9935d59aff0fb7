import { z } from 'zod';
import { ErrorCode } from '../common/app-error.js';
import { jobStatus } from '../jobs/job-status.js';

/**
 * The response bodies, as zod schemas turned into the OpenAPI document's
 * components: one definition, so the served document cannot hold two versions.
 * `job.view.ts` derives its types from them, so the API cannot send another
 * shape than the one documented; `problem.filter.ts` sends `Problem`.
 */
const status = jobStatus;
const failure = z.object({ code: z.string(), message: z.string() });
const bbox = z.object({ x0: z.number(), y0: z.number(), x1: z.number(), y1: z.number() });
const word = z.object({ text: z.string(), confidence: z.number(), bbox });

const job = z.object({
  id: z.uuid(),
  status,
  fileName: z.string().nullable(),
  mediaType: z.string(),
  sizeBytes: z.number().int(),
  attempts: z.number().int(),
  // Progress: pages stored so far (`done` succeeded, `failed`) of `total`, null until the document is opened.
  pages: z.object({ total: z.number().int().nullable(), done: z.number().int(), failed: z.number().int() }),
  createdAt: z.iso.datetime(),
  startedAt: z.iso.datetime().nullable(),
  finishedAt: z.iso.datetime().nullable(),
  error: failure.optional(),
  links: z.object({ self: z.string(), results: z.string(), events: z.string() }),
});

const page = z.union([
  z.object({
    number: z.number().int(),
    // Where the text came from; a mixed page's lines each say which of the two read them.
    source: z.enum(['text-layer', 'ocr', 'mixed']),
    rotation: z.union([z.literal(0), z.literal(90), z.literal(180), z.literal(270)]),
    width: z.number(),
    height: z.number(),
    dpi: z.number().optional(),
    text: z.string(),
    confidence: z.number(),
    skew: z.number().optional(),
    lines: z.array(
      z.object({ text: z.string(), confidence: z.number(), bbox, words: z.array(word), source: z.enum(['text-layer', 'ocr']).optional() }),
    ),
  }),
  z.object({ number: z.number().int(), error: failure }),
]);

const extractedField = z.object({
  value: z.union([z.string(), z.number()]),
  currency: z.string().optional(),
  raw: z.string(),
  confidence: z.number(),
  evidence: z.object({ page: z.number().int(), bbox }).optional(),
});

const extraction = z.object({
  schema: z.string(),
  extractor: z.enum(['local', 'llm']),
  fields: z.record(z.string(), extractedField.nullable()),
  missing: z.array(z.string()),
  errors: z.array(z.object({ path: z.string(), message: z.string() })),
  notes: z.array(z.string()),
});

const schemaSummary = z.object({
  name: z.string(),
  description: z.string().optional(),
  fields: z.array(
    z.object({
      name: z.string(),
      kind: z.enum(['string', 'date', 'money', 'number', 'enum']),
      required: z.boolean(),
      labels: z.array(z.string()),
      pattern: z.string().optional(),
      values: z.array(z.string()).optional(),
      description: z.string().optional(),
    }),
  ),
  jsonSchema: z.record(z.string(), z.unknown()),
});

const webhookAttempt = z.object({
  number: z.number().int(),
  sequence: z.number().int(),
  at: z.iso.datetime(),
  statusCode: z.number().int().nullable(),
  error: z.string().nullable(),
  durationMs: z.number().int(),
  responseBody: z.string().nullable().describe('The start of the answer, at most 1 KB'),
});
const webhookDelivery = z.object({
  id: z.uuid().describe('Also the `webhook-id` header of every attempt'),
  event: z.string(),
  seq: z.number().int(),
  target: z.enum(['callback', 'global']),
  url: z.string().nullable().describe("The job's callbackUrl; null for the operator's WEBHOOK_URL"),
  status: z.enum(['pending', 'delivered', 'failed']),
  sequence: z.number().int().describe('1, then +1 per redelivery'),
  createdAt: z.iso.datetime(),
  deliveredAt: z.iso.datetime().nullable(),
  attempts: z.array(webhookAttempt),
});

const artifact = z.object({
  name: z.string().describe('`original` (the upload), or an output: `document.pdf`, `document.hocr`, `document.alto.xml`, `document.tsv`'),
  contentType: z.string(),
  sizeBytes: z.number().int(),
  href: z.string().describe('`/jobs/{id}/artifacts/{name}`: the file, with range requests'),
});

export const schemas = {
  Job: job,
  JobList: z.object({ items: z.array(job), nextCursor: z.string().nullable() }),
  JobResults: z.object({ id: z.uuid(), status, text: z.string(), fields: extraction.nullable(), pages: z.array(page), artifacts: z.array(artifact) }),
  Extraction: extraction,
  WebhookDelivery: webhookDelivery,
  WebhookDeliveryList: z.object({ items: z.array(webhookDelivery), nextCursor: z.string().nullable() }),
  SchemaList: z.object({ items: z.array(schemaSummary) }),
  LanguageList: z.object({
    installed: z.array(z.string()).describe('Tesseract codes a job may ask for in `languages` (`OCR_LANGS`)'),
    default: z.array(z.string()).describe('What a job reads with when it names none (`OCR_DEFAULT_LANGS`)'),
  }),
  QueueState: z.object({ queue: z.record(z.string(), z.number()), jobs: z.record(z.string(), z.number()) }),
  Health: z.object({ status: z.string() }).catchall(z.unknown()),
  Problem: z.object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.enum(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]]),
    detail: z.string(),
    requestId: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  }).catchall(z.unknown()),
};

/** The document's components, in the OpenAPI 3.0 dialect of JSON Schema. */
export function schemaComponents(): Record<string, object> {
  return Object.fromEntries(
    Object.entries(schemas).map(([name, schema]) => {
      const { $schema: _, ...json } = z.toJSONSchema(schema, { target: 'openapi-3.0' }) as Record<string, unknown>;
      return [name, json];
    }),
  );
}
