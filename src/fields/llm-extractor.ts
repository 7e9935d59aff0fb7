import { completeExtraction } from './complete.js';
import type { ExtractedField, Extraction, ExtractionSchema, ExtractPage, FieldSpec } from './extraction.js';
import { locateValue } from './locate.js';
import { normaliseValue } from './normalise.js';
import type { AppConfig } from '../config/config.js';

export type LlmConfig = NonNullable<AppConfig['llm']>;

/** The most an answer may weigh; a chat completion for a few fields is a few KB. */
const MAX_ANSWER_BYTES = 1024 * 1024;
/** The longest value taken from an answer for one field. */
const MAX_VALUE_LENGTH = 500;
const PING_TIMEOUT_MS = 2_000;

/**
 * Why the LLM could not be used: unreachable, an error status, or an answer
 * that is not the JSON object asked for. The message is safe to put in a
 * result: it names no URL and no key.
 */
export class LlmUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LlmUnavailableError';
  }
}

/**
 * Fields from any OpenAI-compatible chat-completions endpoint. The model is
 * asked for the values as printed (structured output where the server
 * supports it); each value is then normalised by the same rules as the local
 * extractor's and found again on the page, for evidence.
 */
export class LlmExtractor {
  constructor(private readonly config: LlmConfig) {}

  async extract(schema: ExtractionSchema, pages: ExtractPage[]): Promise<Extraction> {
    const { prompt, truncated } = documentPrompt(pages, this.config.maxInputChars);
    const answer = await this.complete(schema, prompt);
    const notes = truncated ? [`The document was cut to ${this.config.maxInputChars} characters for the LLM.`] : [];
    const fields: Record<string, ExtractedField | null> = {};
    for (const spec of schema.fields) {
      const given = answer[spec.name];
      const text = given === null || given === undefined ? '' : String(given).slice(0, MAX_VALUE_LENGTH).trim();
      fields[spec.name] = text === '' ? null : this.field(spec, text, pages, notes);
    }
    return completeExtraction(schema, fields, 'llm', notes);
  }

  /** Resolves when the endpoint answers its model list; for `/health`. */
  async ping(): Promise<void> {
    const response = await this.request('models', { method: 'GET', signal: AbortSignal.timeout(PING_TIMEOUT_MS) });
    await response.body?.cancel();
  }

  private field(spec: FieldSpec, text: string, pages: ExtractPage[], notes: string[]): ExtractedField | null {
    const located = locateValue(spec, text, pages);
    if (located) return located;
    const normalised = normaliseValue(spec, text);
    if (!normalised) {
      notes.push(`${spec.name}: the LLM's answer is not a valid ${spec.kind}.`);
      return null;
    }
    notes.push(`${spec.name}: the LLM's value was not found on the page; it has no evidence.`);
    return { ...normalised, raw: text, confidence: 0.5 };
  }

  /** One chat completion; retried once without `response_format` when the server rejects it. */
  private async complete(schema: ExtractionSchema, prompt: string): Promise<Record<string, unknown>> {
    const body = {
      model: this.config.model,
      temperature: 0,
      messages: [
        { role: 'system', content: SYSTEM_PROMPT },
        { role: 'user', content: `${fieldList(schema)}\n\nThe document:\n${prompt}` },
      ],
    };
    const structured = { ...body, response_format: { type: 'json_schema', json_schema: { name: 'fields', strict: true, schema: answerSchema(schema) } } };
    const post = (payload: object) =>
      this.request('chat/completions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(this.config.timeoutMs),
      });
    let response = await post(structured);
    if (response.status === 400) {
      await response.body?.cancel();
      response = await post(body);
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new LlmUnavailableError(`the LLM answered HTTP ${response.status}`);
    }
    return parseAnswer(await readLimited(response, MAX_ANSWER_BYTES));
  }

  private async request(path: string, init: RequestInit): Promise<Response> {
    const url = new URL(path, this.config.baseUrl.endsWith('/') ? this.config.baseUrl : `${this.config.baseUrl}/`);
    const headers = new Headers(init.headers);
    if (this.config.apiKey) headers.set('authorization', `Bearer ${this.config.apiKey}`);
    try {
      return await fetch(url, { ...init, headers, redirect: 'error' });
    } catch (error) {
      const reason = error instanceof DOMException && error.name === 'TimeoutError' ? 'did not answer in time' : 'is unreachable';
      throw new LlmUnavailableError(`the LLM ${reason}`, { cause: error });
    }
  }
}

const SYSTEM_PROMPT = [
  'You read the OCR text of a document and extract fields from it.',
  'Answer with one JSON object and nothing else: one key per field asked for.',
  'Copy each value exactly as it is printed in the document (a date or an amount as printed, with its currency sign if any).',
  'Use null for a field the document does not contain. Never invent a value.',
].join(' ');

function fieldList(schema: ExtractionSchema): string {
  const lines = schema.fields.map((field) => {
    const about = [field.kind, field.required ? 'required' : 'optional', field.values && `one of ${field.values.join(', ')}`, field.description]
      .filter(Boolean)
      .join('; ');
    return `- ${field.name} (${about})`;
  });
  return `Fields:\n${lines.join('\n')}`;
}

/** What the model must answer: every field, each a printed string or null. */
function answerSchema(schema: ExtractionSchema): Record<string, unknown> {
  return {
    type: 'object',
    properties: Object.fromEntries(schema.fields.map((field) => [field.name, { type: ['string', 'null'] }])),
    required: schema.fields.map((field) => field.name),
    additionalProperties: false,
  };
}

/** The pages' lines, page by page, cut at `maxChars`. */
function documentPrompt(pages: ExtractPage[], maxChars: number): { prompt: string; truncated: boolean } {
  const text = pages.map((page) => `--- page ${page.number} ---\n${page.lines.map((line) => line.text).join('\n')}`).join('\n');
  return text.length > maxChars ? { prompt: text.slice(0, maxChars), truncated: true } : { prompt: text, truncated: false };
}

async function readLimited(response: Response, maxBytes: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new LlmUnavailableError(`the LLM's answer is over ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The JSON object in `choices[0].message.content`, fenced in Markdown or not. */
function parseAnswer(body: string): Record<string, unknown> {
  const invalid = new LlmUnavailableError('the LLM did not answer with a JSON object');
  let content: unknown;
  try {
    content = (JSON.parse(body) as { choices?: { message?: { content?: unknown } }[] }).choices?.[0]?.message?.content;
  } catch {
    throw invalid;
  }
  if (typeof content !== 'string') throw invalid;
  const json = content.replace(/^\s*```(?:json)?\s*|\s*```\s*$/g, '');
  try {
    const answer: unknown = JSON.parse(json);
    if (answer && typeof answer === 'object' && !Array.isArray(answer)) return answer as Record<string, unknown>;
  } catch {
    // Reported below.
  }
  throw invalid;
}
