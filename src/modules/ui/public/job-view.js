// The job section: status and progress (from the job's events), cancel,
// then the results: files, fields and each page with its words.
import { ApiError, call, describe, json } from './api.js';
import { followEvents } from './events.js';
import { el, pageView } from './page-view.js';

const FINISHED = new Set(['SUCCEEDED', 'PARTIAL', 'FAILED', 'CANCELLED']);
const $ = (id) => document.getElementById(id);

let current; // { id, abort: AbortController, images: string[] } of the job shown

/** Shows job `id`, following it until it finishes. `onError` shows a failure to the user. */
export async function showJob(id, onError) {
  close();
  const abort = new AbortController();
  current = { id, abort, images: [] };
  $('job').hidden = false;
  for (const part of ['artifacts', 'fields', 'legend']) $(part).hidden = true;
  $('artifact-list').replaceChildren();
  $('field-list').replaceChildren();
  $('pages-view').replaceChildren();
  $('job-title').focus();
  try {
    showStatus(await json(`/jobs/${id}`, { signal: abort.signal }));
    // A finished job's stream replays its events and ends; a running job's ends after its
    // last event, or early when the connection is lost: then it is followed again.
    let job;
    do {
      await followEvents(id, showEvent, abort.signal);
      job = await json(`/jobs/${id}`, { signal: abort.signal });
      showStatus(job);
    } while (!FINISHED.has(job.status));
    if (job.status === 'SUCCEEDED' || job.status === 'PARTIAL') await showResults(job, abort.signal);
  } catch (error) {
    if (!abort.signal.aborted) onError(error);
  }
}

/** Cancels the job shown. */
export async function cancelJob() {
  if (current) showStatus(await json(`/jobs/${current.id}/cancel`, { method: 'POST' }));
}

function close() {
  if (!current) return;
  current.abort.abort();
  for (const url of current.images) URL.revokeObjectURL(url);
}

function showStatus(job) {
  $('job-title').textContent = `Job: ${job.fileName ?? job.id}`;
  const error = job.error ? ` — ${job.error.code}: ${job.error.message}` : '';
  $('job-status').textContent = `${job.status}${error}`;
  $('cancel').hidden = FINISHED.has(job.status);
  const { total, done, failed } = job.pages;
  showProgress(done + failed, total, job.status === 'SUCCEEDED' || job.status === 'PARTIAL');
}

function showEvent({ type, data }) {
  if (type === 'page.completed') {
    showProgress(data.done + data.failed, data.total, false);
    $('job-status').textContent = `RUNNING — page ${data.page} ${data.status === 'SUCCEEDED' ? 'read' : 'failed'}`;
  } else if (type === 'started') {
    $('job-status').textContent = 'RUNNING';
  } else {
    $('job-status').textContent = type.toUpperCase();
  }
  $('cancel').hidden = FINISHED.has(type.toUpperCase());
}

function showProgress(pages, total, finished) {
  const percent = finished ? 100 : total ? Math.round((100 * pages) / total) : 0;
  $('progress').value = percent;
  $('progress-label').textContent = total ? `${pages} of ${total} pages (${percent} %)` : `${percent} %`;
}

async function showResults(job, signal) {
  const results = await json(`/jobs/${job.id}/results`, { signal });
  showArtifacts(results.artifacts);
  const fields = Object.entries(results.fields?.fields ?? {});
  showFields(fields);
  $('legend').hidden = false;
  const views = results.pages.map((page) => {
    const here = fields.filter(([, field]) => field?.evidence?.page === page.number);
    const view = pageView(page, here);
    $('pages-view').append(view.element);
    return [page, view];
  });
  // One image at a time: the service draws a few at once for everyone.
  for (const [page, view] of views) {
    if (page.error) continue;
    try {
      const blob = await pageImage(job.id, page.number, signal);
      if (signal.aborted) return; // another job is shown now
      const url = URL.createObjectURL(blob);
      current.images.push(url);
      view.showImage(url);
    } catch (error) {
      if (signal.aborted) return;
      view.showImage(undefined, describe(error));
    }
  }
}

/** A page's image; a busy service (503) is asked again after the time it gives. */
async function pageImage(id, number, signal) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await (await call(`/jobs/${id}/pages/${number}/image`, { signal })).blob();
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 503 || attempt === 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, error.retryAfter) * 1000));
    }
  }
}

function showArtifacts(artifacts) {
  $('artifacts').hidden = artifacts.length === 0;
  $('artifact-list').replaceChildren(
    ...artifacts.map((artifact) => {
      const link = el('a', { href: artifact.href, download: artifact.name }, artifact.name);
      // A plain link would go without the token: fetch the file, then save it.
      link.addEventListener('click', (event) => {
        event.preventDefault();
        void download(artifact).catch((error) => link.after(el('span', { class: 'error' }, ` ${describe(error)}`)));
      });
      return el('li', {}, link, ` ${artifact.contentType}, ${size(artifact.sizeBytes)}`);
    }),
  );
}

async function download({ href, name }) {
  const url = URL.createObjectURL(await (await call(href)).blob());
  const save = el('a', { href: url, download: name });
  document.body.append(save);
  save.click();
  save.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function showFields(fields) {
  $('fields').hidden = fields.length === 0;
  $('field-list').replaceChildren(
    ...fields.flatMap(([name, field]) => {
      if (!field) return [el('dt', {}, name), el('dd', {}, 'not found')];
      const value = `${field.value}${field.currency ? ` ${field.currency}` : ''} (${Math.round(field.confidence * 100)} %)`;
      const dd = el('dd', {}, value);
      if (field.evidence) {
        const show = el('button', { type: 'button', class: 'link' }, `show on page ${field.evidence.page}`);
        show.addEventListener('click', () => highlight(name, field.evidence.page));
        dd.append(' ', show);
      }
      return [el('dt', {}, name), dd];
    }),
  );
}

function highlight(name, page) {
  for (const box of document.querySelectorAll('rect.field.active')) box.classList.remove('active');
  const box = document.querySelector(`#page-${page} rect.field[data-field="${CSS.escape(name)}"]`);
  box?.classList.add('active');
  box?.closest('article').scrollIntoView({ block: 'start' });
}

function size(bytes) {
  return bytes < 1024 ? `${bytes} B` : bytes < 1024 ** 2 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 ** 2).toFixed(1)} MB`;
}
