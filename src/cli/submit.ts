import { openAsBlob } from 'node:fs';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, parse } from 'node:path';
import { UsageError, type OcrflowApi } from './api.js';
import { Progress } from './progress.js';

export interface SubmitOptions {
  wait?: boolean;
  pages?: string;
  ocr?: string;
  languages?: string;
  'password-file'?: string;
  outputs: string;
  schema?: string;
  out?: string;
}

const TERMINAL = new Set(['succeeded', 'partial', 'failed', 'cancelled']);
/** What a job can make, as the API's `outputs` field takes them. */
const OUTPUTS = ['text', 'json', 'hocr', 'alto', 'tsv', 'pdf'];

/**
 * Uploads each file and prints its job id; with `--wait`, follows each job's
 * events to its end and writes its results. Exits 1 when any job ended FAILED.
 */
export async function submit(api: OcrflowApi, files: string[], options: SubmitOptions): Promise<number> {
  if (files.length === 0) throw new UsageError('at least one FILE is required');
  const outputs = new Set(options.outputs.split(',').map((name) => (name.trim() === 'txt' ? 'text' : name.trim())));
  if ([...outputs].some((name) => !OUTPUTS.includes(name))) throw new UsageError(`--outputs takes ${OUTPUTS.join(', ')}`);
  if (options.out && !options.wait) throw new UsageError('--out needs --wait');
  // Every file is checked before the first upload, so a typo does not leave half a batch queued.
  for (const file of files) await access(file).catch(() => { throw new UsageError(`cannot read ${file}`); });
  const password = options['password-file'] ? (await readFile(options['password-file'], 'utf8')).replace(/\r?\n$/, '') : undefined;

  let exitCode = 0;
  for (const file of files) {
    const form = new FormData();
    const fields = [['pages', options.pages], ['ocr', options.ocr], ['languages', options.languages], ['password', password], ['schema', options.schema], ['outputs', [...outputs].join(',')]];
    for (const [field, value] of fields) {
      if (value !== undefined) form.append(field!, value);
    }
    form.append('file', await openAsBlob(file), basename(file));
    const job = await api.submit(form);
    process.stdout.write(`${file}: ${job.id}\n`);
    if (!options.wait) continue;
    const status = await follow(api, job.id, basename(file));
    if (status === 'FAILED' || status === 'CANCELLED') {
      const view = await api.json(`/jobs/${job.id}`);
      process.stderr.write(`ocrflow: ${file}: job ${status}${view.error ? `: ${view.error.code}: ${view.error.message}` : ''}\n`);
      exitCode = 1;
    } else if (options.out) {
      await writeResults(api, await api.json(`/jobs/${job.id}/results`), join(options.out, parse(file).name), outputs);
    }
  }
  return exitCode;
}

/** Shows pages done until the terminal event and returns the job's final status. */
async function follow(api: OcrflowApi, id: string, label: string): Promise<string> {
  const progress = new Progress(label);
  for await (const event of api.events(id)) {
    const data = JSON.parse(event.data).data ?? {};
    if (event.event === 'page.completed') progress.update(data.done + data.failed, data.total);
    if (event.event && TERMINAL.has(event.event)) {
      progress.finish(event.event.toUpperCase());
      return event.event.toUpperCase();
    }
  }
  // The stream ended without a terminal event (a proxy cut it): the job's own status decides.
  const { status } = await api.json(`/jobs/${id}`);
  progress.finish(status);
  return status;
}

/**
 * `stem.txt` and `stem.json` from the results, and every file the server
 * made for the job's outputs, downloaded next to them: `document.pdf` as
 * `stem.pdf`, `document.alto.xml` as `stem.alto.xml`, and so on.
 */
async function writeResults(api: OcrflowApi, results: Results, stem: string, outputs: Set<string>): Promise<void> {
  await mkdir(parse(stem).dir, { recursive: true });
  if (outputs.has('text')) await writeFile(`${stem}.txt`, results.text);
  if (outputs.has('json')) await writeFile(`${stem}.json`, `${JSON.stringify(results, null, 2)}\n`);
  for (const { name, href } of results.artifacts.filter((artifact) => artifact.name.startsWith('document.'))) {
    await writeFile(`${stem}${name.slice('document'.length)}`, await api.download(href));
  }
}

interface Results {
  text: string;
  artifacts: { name: string; href: string }[];
}
