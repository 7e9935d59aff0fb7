import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app.js';
import { waitForJob, type ApiClient } from '../support/client.js';
import { createTestEnv, type TestEnv } from '../support/harness.js';
import { textImage } from '../support/images.js';

const GERMAN = ['Größe der Lieferung: 12 Stück', 'Übermäßig schöne Grüße aus Köln'];
const FRENCH = ['Le garçon a déjà mangé à côté', 'Reçu numéro 42 pour la façade'];

describe('OCR languages (MODE=all, tesseract.js)', () => {
  let env: TestEnv;
  let running: RunningApp;
  let alice: ApiClient;

  beforeAll(async () => {
    env = await createTestEnv('e2e_languages');
    running = await startApp(env, { MODE: 'all', OCR_ENGINE: 'tesseractjs' });
    alice = await running.client('alice');
  });
  afterAll(async () => {
    await running?.app.close();
    await env?.cleanup();
  });

  const read = async (lines: string[], fields: Record<string, string> = {}) => {
    const { id } = await alice.submit(await textImage(lines), { fields });
    expect((await waitForJob(alice, id)).status).toBe('SUCCEEDED');
    return (await alice.json(`/jobs/${id}/results`)).body.text.trim().split('\n').filter(Boolean);
  };

  it('lists the installed languages and the default', async () => {
    expect((await alice.json('/languages')).body).toEqual({ installed: ['eng', 'deu', 'fra'], default: ['eng'] });
  });

  it('reads a German page with its umlauts and ß with languages=deu, which the default English cannot', async () => {
    expect(await read(GERMAN, { languages: 'deu' })).toEqual(GERMAN);
    expect(await read(GERMAN)).not.toEqual(GERMAN);
  });

  it('reads French with fra+eng, one job after another on the same engines', async () => {
    expect(await read(FRENCH, { languages: 'fra+eng' })).toEqual(FRENCH);
    expect(await read(['Invoice 4711 total 124.19'])).toEqual(['Invoice 4711 total 124.19']);
  });

  it('refuses a language that is not installed with 400 naming the installed ones, and stores nothing', async () => {
    const before = (await alice.json('/jobs')).body.items.length;
    const res = await alice.upload(await textImage(['Ciao']), { fields: { languages: 'ita+eng' } });
    expect(res.status).toBe(400);
    const problem = (await res.json()) as { detail: string };
    expect(problem).toMatchObject({ code: 'LANGUAGE_NOT_INSTALLED', installed: ['eng', 'deu', 'fra'] });
    expect(problem.detail).toBe('OCR language ita is not installed; installed: eng, deu, fra');

    const malformed = await alice.upload(await textImage(['Ciao']), { fields: { languages: 'German' } });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: expect.stringMatching(/^languages/) }] });
    expect((await alice.json('/jobs')).body.items).toHaveLength(before);
  });
});
