// The memory and time a job in another language costs a running worker: the
// service's footprint (its process and any native engine processes, each page
// counted once) idle, after an English page, after a German one
// (languages=deu, read on an engine started for it in place of an English
// one) and after English again; and each job's time from upload to SUCCEEDED.
//
//   npm run build && EXTRA='{"OCR_WORKERS":"2"}' node bench/probes/run.mjs bench/probes/languages.mjs
import { renderPage } from '../ocr/pages.mjs';
import { descendants, footprint } from '../proc.mjs';

const textImage = (lines) => renderPage(lines).png().toBuffer();

const GERMAN = ['Größe der Lieferung: 12 Stück', 'Übermäßig schöne Grüße aus Köln'];
const ENGLISH = ['Delivery size: 12 pieces', 'Kind regards from the harbour'];

export default async function ({ client, service }) {
  const mb = () => Math.round(footprint([service.child.pid, ...descendants(service.child.pid)]) / 2 ** 20);
  const settle = () => new Promise((r) => setTimeout(r, 2000));
  const rows = [{ step: 'idle', ms: null, mb: mb() }];
  for (const [step, lines, fields] of [
    ['English page', ENGLISH, {}],
    ['German page (languages=deu)', GERMAN, { languages: 'deu' }],
    ['German page again', GERMAN, { languages: 'deu' }],
    ['English page again', ENGLISH, {}],
  ]) {
    const started = Date.now();
    const job = await client.finished(await client.submit(await textImage(lines), 'page.png', fields));
    const ms = Date.now() - started;
    const text = (await client.get(`/jobs/${job.id}/results`)).text.trim();
    await settle();
    rows.push({ step, ms, mb: mb(), status: job.status, text: text.replace(/\n+/g, ' / ') });
  }
  console.table(rows);
}
