import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app.js';
import { ApiClient, waitForJob } from '../support/client.js';
import { textPdf } from '../support/documents.js';
import { createTestEnv, eventually, type TestEnv } from '../support/harness.js';
import { FakeLlmServer } from '../support/llm-server.js';

const invoice = () => readFile(new URL('../fixtures/invoice.png', import.meta.url));

/** The words of a finished job's pages, with their page numbers. */
async function wordsOf(client: ApiClient, id: string) {
  const { body } = await client.json(`/jobs/${id}/results`);
  return body.pages.flatMap((page: any) => page.lines.flatMap((line: any) => line.words.map((word: any) => ({ ...word, page: page.number }))));
}

/** Whether `outer` contains `inner`'s box, give or take a pixel. */
function encloses(outer: any, inner: any): boolean {
  return outer.x0 <= inner.x0 + 1 && outer.y0 <= inner.y0 + 1 && outer.x1 >= inner.x1 - 1 && outer.y1 >= inner.y1 - 1;
}

async function uploadWithSchema(client: ApiClient, schema: string) {
  const { id } = await client.submit(await invoice(), { fileName: 'invoice.png', fields: { schema } });
  expect((await waitForJob(client, id)).status).toBe('SUCCEEDED');
  const { body } = await client.json(`/jobs/${id}/results`);
  return { id, fields: body.fields };
}

describe('fields: OCR plus a schema, extracted locally', () => {
  let env: TestEnv;
  let running: RunningApp;
  let alice: ApiClient;

  beforeAll(async () => {
    env = await createTestEnv('e2e_fields');
    running = await startApp(env, { MODE: 'all' });
    alice = await running.client('alice');
  });

  afterAll(async () => {
    await running?.app.close();
    await env?.cleanup();
  });

  it('lists the built-in schemas with their fields', async () => {
    const { status, body } = await alice.json('/schemas');
    expect(status).toBe(200);
    const byName = Object.fromEntries(body.items.map((schema: any) => [schema.name, schema]));
    expect(Object.keys(byName)).toEqual(expect.arrayContaining(['receipt', 'invoice']));
    const total = byName.invoice.fields.find((field: any) => field.name === 'total');
    expect(total).toMatchObject({ kind: 'money', required: true });
    expect(byName.receipt.fields.map((field: any) => field.name)).toEqual(expect.arrayContaining(['company', 'date', 'address', 'total']));
  });

  it('extracts the built-in invoice schema, each value with its evidence on the page', async () => {
    const { id, fields } = await uploadWithSchema(alice, 'invoice');
    expect(fields).toMatchObject({ schema: 'invoice', extractor: 'local', missing: [], errors: [] });
    expect(fields.fields.total).toMatchObject({ value: '124.19' });
    expect(fields.fields.invoice_number.value).toBe('INV-2026-0415');
    expect(fields.fields.date.value).toBe('2026-11-20');
    expect(fields.fields.vendor.value).toMatch(/^ACME Office Supplies/);
    expect(fields.fields.subtotal.value).toBe('103.49');
    expect(fields.fields.tax.value).toBe('20.70');
    expect(fields.fields.due_date).toBeNull();

    // The evidence is where the printed amount is: it encloses the OCR word "124.19" and little else.
    const printed = (await wordsOf(alice, id)).find((word: any) => word.text === '124.19');
    const { evidence, confidence } = fields.fields.total;
    expect(evidence.page).toBe(1);
    expect(encloses(evidence.bbox, printed.bbox)).toBe(true);
    expect(evidence.bbox.y1 - evidence.bbox.y0).toBeLessThan(3 * (printed.bbox.y1 - printed.bbox.y0));
    expect(confidence).toBeGreaterThan(0);
    expect(confidence).toBeLessThanOrEqual(1);
  });

  it('extracts a custom schema: labels, a pattern, a date and an amount', async () => {
    const schema = {
      type: 'object',
      properties: {
        reference: { type: 'string', 'x-labels': ['invoice no'], 'x-pattern': 'INV-\\d{4}-\\d{4}' },
        vat: { type: 'string', 'x-kind': 'money', 'x-labels': ['vat'] },
        issued: { type: 'string', format: 'date', 'x-labels': ['date'] },
      },
      required: ['reference', 'vat'],
    };
    const { fields } = await uploadWithSchema(alice, JSON.stringify(schema));
    expect(fields).toMatchObject({ schema: 'custom', extractor: 'local', missing: [], errors: [] });
    expect(fields.fields.reference.value).toBe('INV-2026-0415');
    expect(fields.fields.vat.value).toBe('20.70');
    expect(fields.fields.issued.value).toBe('2026-11-20');
  });

  it('lists a required field that is not on the page as missing and a value the schema refuses as an error; the job still succeeds', async () => {
    const schema = {
      type: 'object',
      properties: {
        purchase_order: { type: 'string', 'x-labels': ['po number', 'purchase order'] },
        total: { type: 'number', 'x-kind': 'money', maximum: 100 },
      },
      required: ['purchase_order'],
    };
    const { fields } = await uploadWithSchema(alice, JSON.stringify(schema));
    expect(fields.fields.purchase_order).toBeNull();
    expect(fields.missing).toEqual(['purchase_order']);
    // The amount is found, and reported against the schema's maximum, not thrown away.
    expect(fields.fields.total.value).toBe('124.19');
    expect(fields.errors).toEqual([{ path: 'fields.total', message: expect.stringMatching(/100/) }]);
  });

  it('refuses a malformed schema at upload with SCHEMA_INVALID, storing nothing', async () => {
    const before = (await alice.json('/jobs?limit=100')).body.items.length;
    const malformed: [string, RegExp][] = [
      ['nonsense', /receipt/],
      ['{"type":"object","properties":', /JSON/i],
      [JSON.stringify({ type: 'object', properties: { a: { type: 'strin' } } }), /a/],
      [JSON.stringify({ type: 'object', properties: { a: { type: 'string', 'x-pattern': '(a)\\1' } } }), /x-pattern/],
      [JSON.stringify({ type: 'object', properties: { a: { type: 'string' } }, required: ['b'] }), /b/],
    ];
    for (const [schema, names] of malformed) {
      const res = await alice.upload(await invoice(), { fields: { schema } });
      const body = (await res.json()) as any;
      expect(res.status, schema).toBe(400);
      expect(body.code, schema).toBe('SCHEMA_INVALID');
      expect(JSON.stringify(body.errors ?? body.detail), schema).toMatch(names);
    }
    expect((await alice.json('/jobs?limit=100')).body.items.length).toBe(before);
  });

  it('extracts again from the stored pages with another schema, without OCR', async () => {
    const { id } = await alice.submit(await invoice(), { fileName: 'invoice.png' });
    const done = await waitForJob(alice, id);
    expect((await alice.json(`/jobs/${id}/results`)).body.fields).toBeNull();

    const { status, body } = await alice.postJson(`/jobs/${id}/extract`, { schema: 'invoice' });
    expect(status).toBe(200);
    expect(body.fields.total.value).toBe('124.19');
    expect((await alice.json(`/jobs/${id}/results`)).body.fields).toEqual(body);
    // No second OCR: the job did not run again.
    expect((await alice.json(`/jobs/${id}`)).body).toMatchObject({ attempts: done.attempts, finishedAt: done.finishedAt });

    const custom = { type: 'object', properties: { vat: { type: 'string', 'x-kind': 'money', 'x-labels': ['vat'] } } };
    const again = await alice.postJson(`/jobs/${id}/extract`, { schema: custom });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ schema: 'custom', fields: { vat: { value: '20.70' } } });

    expect((await alice.postJson(`/jobs/${id}/extract`, { schema: 'nonsense' })).body.code).toBe('SCHEMA_INVALID');
    expect((await alice.postJson(`/jobs/${id}/extract`, { shape: 'invoice' })).status).toBe(400);
    const bob = await running.client('bob');
    expect((await bob.postJson(`/jobs/${id}/extract`, { schema: 'invoice' })).status).toBe(404);
  });

  it('runs a pattern that backtracks exponentially in a JavaScript RegExp to the end: the job finishes with its fields', async () => {
    // ([a-z]|[a-z0-9])+$ against 27 letters and a "!" took 20–32 s in V8 (doubling with each letter); here 60.
    const pdf = await textPdf([[`Code: ${'a'.repeat(60)}!`, 'Ref: ab12']]);
    const pattern = '([a-z]|[a-z0-9])+$';
    const schema = { type: 'object', properties: { code: { type: 'string', 'x-labels': ['code'], 'x-pattern': pattern }, ref: { type: 'string', 'x-labels': ['ref'], 'x-pattern': pattern } } };
    const { id } = await alice.submit(pdf, { fileName: 'codes.pdf', fields: { schema: JSON.stringify(schema) } });
    expect((await waitForJob(alice, id)).status).toBe('SUCCEEDED');
    const { fields } = (await alice.json(`/jobs/${id}/results`)).body;
    expect(fields.fields.ref).toMatchObject({ value: 'ab12' });
    // The letters end in "!", so the pattern refuses them: no value is read from that line.
    expect(fields.fields.code?.raw ?? '').not.toMatch(/aaaa/);

    const again = await alice.postJson(`/jobs/${id}/extract`, { schema });
    expect(again.status).toBe(200);
    expect(again.body.fields.ref).toMatchObject({ value: 'ab12' });
  });

  it('lets two subjects use the same $id with different schemas', async () => {
    const withId = (field: string) => ({ $id: 'https://example.com/schemas/shared', type: 'object', required: [field], properties: { [field]: { type: 'string', 'x-kind': 'money', 'x-labels': ['vat'] } } });
    const { id } = await alice.submit(await invoice(), { fileName: 'invoice.png' });
    await waitForJob(alice, id);
    const first = await alice.postJson(`/jobs/${id}/extract`, { schema: withId('vat') });
    expect(first.status).toBe(200);
    expect(first.body.fields.vat.value).toBe('20.70');

    const bob = await running.client('bob');
    const job = await bob.submit(await invoice(), { fileName: 'invoice.png', fields: { schema: JSON.stringify(withId('tax')) } });
    const done = await waitForJob(bob, job.id);
    expect(done.status).toBe('SUCCEEDED');
    expect((await bob.json(`/jobs/${job.id}/results`)).body.fields).toMatchObject({ schema: 'custom', missing: [], fields: { tax: { value: '20.70' } } });
    // And alice's again, after bob's.
    expect((await alice.postJson(`/jobs/${id}/extract`, { schema: withId('vat') })).status).toBe(200);
  });

  it('answers 400 SCHEMA_INVALID, not 500, for a $schema it does not implement and for a schema nested 5,000 levels', async () => {
    const { id } = await alice.submit(await invoice(), { fileName: 'invoice.png' });
    await waitForJob(alice, id);
    for (const $schema of ['http://example.com/x', 'https://json-schema.org/draft/2019-09/schema', 42]) {
      const { status, body } = await alice.postJson(`/jobs/${id}/extract`, { schema: { $schema, type: 'object', properties: { total: { type: 'string' } } } });
      expect(status, String($schema)).toBe(400);
      expect(body).toMatchObject({ code: 'SCHEMA_INVALID', errors: [{ field: 'schema.$schema', message: expect.stringMatching(/draft-07/) }] });
    }
    const draft07 = await alice.postJson(`/jobs/${id}/extract`, { schema: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: { vat: { type: 'string', 'x-kind': 'money', 'x-labels': ['vat'] } } } });
    expect(draft07.body.fields.vat.value).toBe('20.70');

    const levels = 5000;
    const deep = `{"schema":{"type":"object","properties":{"a":${'{"type":"object","properties":{"a":'.repeat(levels)}{"type":"string"}${'}}'.repeat(levels)}}}}`;
    const { status, body } = await alice.postJson(`/jobs/${id}/extract`, deep, { raw: true });
    expect(status).toBe(400);
    expect(body).toMatchObject({ code: 'SCHEMA_INVALID', errors: [{ field: 'schema', message: expect.stringMatching(/nested more than 32 levels/) }] });
  });
});

describe('fields: the LLM extractor, against a local chat-completions server', () => {
  const API_KEY = 'sk-test-llm-key';
  const llm = new FakeLlmServer(API_KEY);
  let env: TestEnv;
  let running: RunningApp;
  let alice: ApiClient;
  let jobId: string;

  const answer = {
    vendor: 'ACME Office Supplies Ltd',
    invoice_number: 'INV-2026-0415',
    date: '2026-11-20',
    due_date: null,
    subtotal: '103.49',
    tax: '20.70',
    total: '124.19',
  };

  beforeAll(async () => {
    await llm.start();
    llm.reply = () => answer;
    env = await createTestEnv('e2e_fields_llm');
    running = await startApp(env, { MODE: 'all', LLM_BASE_URL: llm.baseUrl, LLM_API_KEY: API_KEY, LLM_MODEL: 'test-model' });
    alice = await running.client('alice');
  });

  afterAll(async () => {
    await running?.app.close();
    await env?.cleanup();
    await llm.stop();
  });

  it('asks the LLM for the schema as structured output and locates its values on the page', async () => {
    const { id, fields } = await uploadWithSchema(alice, 'invoice');
    jobId = id;
    expect(fields).toMatchObject({ schema: 'invoice', extractor: 'llm', missing: [], errors: [] });
    expect(fields.fields.total.value).toBe('124.19');
    expect(fields.fields.date.value).toBe('2026-11-20');
    const printed = (await wordsOf(alice, id)).find((word: any) => word.text === '124.19');
    expect(fields.fields.total.evidence.page).toBe(1);
    expect(encloses(fields.fields.total.evidence.bbox, printed.bbox)).toBe(true);

    const [request] = llm.requests;
    expect(request.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request.body.model).toBe('test-model');
    expect(request.body.response_format?.type).toBe('json_schema');
    expect(Object.keys(request.body.response_format?.json_schema.schema.properties)).toContain('total');
    expect(request.body.messages.map((m) => m.content).join('\n')).toContain('INV-2026-0415');

    const health = await alice.json('/health');
    expect(health.body.details.llm.status).toBe('up');
  });

  it('reports a value the LLM made up as having no evidence', async () => {
    llm.reply = () => ({ ...answer, total: '999.99' });
    const { body } = await alice.postJson(`/jobs/${jobId}/extract`, { schema: 'invoice' });
    expect(body.extractor).toBe('llm');
    expect(body.fields.total.value).toBe('999.99');
    expect(body.fields.total.evidence).toBeUndefined();
    expect(body.notes.join(' ')).toMatch(/total/);
    llm.reply = () => answer;
  });

  it('asks again without response_format when the server does not support it', async () => {
    llm.rejectStructuredOutput = true;
    const before = llm.requests.length;
    const { body } = await alice.postJson(`/jobs/${jobId}/extract`, { schema: 'invoice' });
    llm.rejectStructuredOutput = false;
    expect(body).toMatchObject({ extractor: 'llm', fields: { total: { value: '124.19' } } });
    const [first, second] = llm.requests.slice(before);
    expect(first.body.response_format).toBeDefined();
    expect(second.body.response_format).toBeUndefined();
  });

  it('falls back to the local extractor, with a note, when the LLM answers nonsense', async () => {
    llm.reply = () => 'I think the total is about 124';
    const { body } = await alice.postJson(`/jobs/${jobId}/extract`, { schema: 'invoice' });
    llm.reply = () => answer;
    expect(body.extractor).toBe('local');
    expect(body.fields.total.value).toBe('124.19');
    expect(body.notes[0]).toMatch(/LLM extractor was unavailable/);
  });

  it('falls back while the LLM is down, health says so, and recovers when it is back', async () => {
    await llm.stop();
    const { fields } = await uploadWithSchema(alice, 'invoice');
    expect(fields.extractor).toBe('local');
    expect(fields.fields.total.value).toBe('124.19');
    expect(fields.notes[0]).toMatch(/LLM extractor was unavailable/);
    expect(fields.notes.join(' ')).not.toContain(API_KEY);

    // /health shares one check among the calls of a second: the first test's, taken while the LLM was up,
    // can still answer when the tests before this one ran in under a second (they did with the native engine).
    const health = await eventually(async () => {
      const answer = await alice.json('/health');
      return answer.body.status === 'ok' ? undefined : answer;
    }, 10_000);
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('degraded');
    expect(health.body.details.llm.status).toBe('degraded');
    expect(JSON.stringify(health.body)).not.toContain(API_KEY);

    await llm.start();
    // /health shares one check among the calls of a second: the recovery shows within that.
    await eventually(async () => ((await alice.json('/health')).body.details.llm.status === 'up' ? true : undefined), 10_000);
    const { body } = await alice.postJson(`/jobs/${jobId}/extract`, { schema: 'invoice' });
    expect(body.extractor).toBe('llm');
  });
});

describe('fields: an extraction past its time limit', () => {
  let env: TestEnv;
  let running: RunningApp;
  let alice: ApiClient;

  beforeAll(async () => {
    env = await createTestEnv('e2e_fields_limit');
    // No extraction's thread even starts within 1 ms: every one is stopped at its limit.
    running = await startApp(env, { MODE: 'all', EXTRACTION_TIMEOUT_MS: '1' });
    alice = await running.client('alice');
  });

  afterAll(async () => {
    await running?.app.close();
    await env?.cleanup();
  });

  it('is stopped: the job succeeds with its text, its fields null with a note saying why, and re-extraction answers the same', async () => {
    const { id } = await alice.submit(await invoice(), { fileName: 'invoice.png', fields: { schema: 'invoice' } });
    expect((await waitForJob(alice, id)).status).toBe('SUCCEEDED');
    const { body } = await alice.json(`/jobs/${id}/results`);
    expect(body.text).toMatch(/124\.19/);
    expect(body.fields).toMatchObject({ schema: 'invoice', missing: ['invoice_number', 'total'], notes: [expect.stringMatching(/stopped after 0\.001 s, its time limit/)] });
    expect(Object.values(body.fields.fields).every((field) => field === null)).toBe(true);

    const again = await alice.postJson(`/jobs/${id}/extract`, { schema: 'receipt' });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ schema: 'receipt', missing: ['company', 'date', 'total'], notes: [expect.stringMatching(/time limit/)] });
  });
});
