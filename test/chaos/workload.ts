import { ApiClient } from '../support/client.js';
import { scannedPdf, textPdf } from '../support/documents.js';
import { token } from '../support/harness.js';
import { textImage } from '../support/images.js';

export type DocumentKind = 'image' | 'text-pdf' | 'scanned-pdf';

/** One document to submit; `tag` is printed on every page so a result can be told apart from another job's. */
export interface Planned {
  tag: string;
  kind: DocumentKind;
  pages: number;
  tenant: string;
  fileName: string;
  data: Buffer;
}

/** What an upload got back. */
export interface Submission extends Omit<Planned, 'data'> {
  /** The API process it went through. */
  via: string;
  /** HTTP status; 0 when the request itself failed (connection reset). */
  status: number;
  /** The job id when accepted (202). */
  id?: string;
  /** The error code of a refusal. */
  code?: string;
}

/** A small deterministic PRNG (mulberry32), so a failing run can be replayed with its seed. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * `count` documents, mixed: about 65 % small one-line images, 20 % born-digital
 * PDFs of 2-4 pages (text layer, no OCR), the rest scanned PDFs of 2-3 pages
 * (rasterised and OCR'd: the ones a kill interrupts mid-page). Kept small:
 * on two shared, busy cores, opening a PDF in its thread took 2-3 s and an
 * image 0.3 s, and two workers finished about 1.5 documents a second.
 */
export async function planDocuments(count: number, tenants: string[], rand: () => number): Promise<Planned[]> {
  const planned: Planned[] = [];
  for (let i = 0; i < count; i++) {
    const tag = `CHAOS${String(i).padStart(4, '0')}`;
    const tenant = tenants[i % tenants.length]!;
    const roll = rand();
    if (roll < 0.65) {
      planned.push({ tag, kind: 'image', pages: 1, tenant, fileName: `${tag}.png`, data: await textImage([`Receipt ${tag}`], { width: 560 }) });
    } else if (roll < 0.85) {
      const pages = 2 + Math.floor(rand() * 3);
      const lines = Array.from({ length: pages }, (_, p) => [`Statement ${tag} page ${p + 1}`, `Balance ${p * 17}.00`]);
      planned.push({ tag, kind: 'text-pdf', pages, tenant, fileName: `${tag}.pdf`, data: await textPdf(lines, { width: 300, height: 200 }) });
    } else {
      const pages = 2 + Math.floor(rand() * 2);
      const lines = Array.from({ length: pages }, (_, p) => [`Scan ${tag} page ${p + 1}`]);
      planned.push({ tag, kind: 'scanned-pdf', pages, tenant, fileName: `${tag}.pdf`, data: await scannedPdf(lines, { width: 300, height: 200 }) });
    }
  }
  return planned;
}

/** Bearer-authenticated clients: one per (API process, tenant). */
export async function clientsFor(baseUrls: Record<string, string>, tenants: string[]): Promise<Map<string, ApiClient>> {
  const clients = new Map<string, ApiClient>();
  for (const [name, url] of Object.entries(baseUrls)) {
    for (const tenant of tenants) clients.set(`${name}/${tenant}`, new ApiClient(url).as(await token(tenant)));
  }
  return clients;
}

/**
 * Uploads the documents spread evenly over `spreadMs`, alternating between the
 * API processes, at most `parallel` requests at once, as independent clients
 * would. Clients hold back while `maxBacklog` jobs are unfinished (as the
 * per-tenant quota would make them), so that the work left when the faults end
 * is what the faults left, not a queue longer than two workers clear in a
 * minute; they give up at `deadline` (the service stopped finishing jobs).
 * A refusal or a failed request is recorded, not retried: the service has no
 * idempotency key yet, so a retry could make a second job.
 */
export async function submitAll(
  planned: Planned[],
  apis: string[],
  clients: Map<string, ApiClient>,
  options: {
    spreadMs: number;
    parallel: number;
    backlog: () => Promise<number>;
    maxBacklog: number;
    deadline: number;
    /** Form fields sent with every upload (a `callbackUrl`, say). */
    fields?: Record<string, string>;
    onAccepted: (s: Submission) => void;
  },
): Promise<Submission[]> {
  const started = Date.now();
  const results: Submission[] = [];
  const inFlight = new Set<Promise<void>>();
  for (const [i, { data, ...doc }] of planned.entries()) {
    const due = started + (i * options.spreadMs) / planned.length;
    if (Date.now() < due) await sleep(due - Date.now());
    while (inFlight.size >= options.parallel) await Promise.race(inFlight);
    while (Date.now() < options.deadline && (await options.backlog()) + inFlight.size >= options.maxBacklog) await sleep(250);
    const via = apis[i % apis.length]!;
    if (Date.now() >= options.deadline) {
      results.push({ ...doc, via, status: 0, code: 'not sent: the backlog did not drain' });
      continue;
    }
    const request = (async () => {
      const submission: Submission = { ...doc, via, status: 0 };
      try {
        const res = await clients.get(`${via}/${doc.tenant}`)!.upload(data, { fileName: doc.fileName, fields: options.fields });
        const body = (await res.json()) as { id?: string; code?: string };
        submission.status = res.status;
        if (res.status === 202) submission.id = body.id;
        else submission.code = body.code;
      } catch (error) {
        submission.code = `request failed: ${(error as Error).message}`;
      }
      results.push(submission);
      if (submission.id) options.onAccepted(submission);
    })();
    inFlight.add(request);
    void request.finally(() => inFlight.delete(request));
  }
  await Promise.all(inFlight);
  return results;
}

/**
 * A client polling its jobs all through the run (`GET /jobs/:id`, about five
 * a second, through both APIs), as dashboards do: what it was answered, by
 * status, until `stop` is aborted.
 */
export async function pollJobs(
  accepted: () => Submission[],
  clients: Map<string, ApiClient>,
  apis: string[],
  rand: () => number,
  stop: AbortSignal,
): Promise<Record<string, number>> {
  const answers: Record<string, number> = {};
  for (let i = 0; !stop.aborted; i++) {
    await sleep(200);
    const jobs = accepted();
    if (jobs.length === 0) continue;
    const job = jobs[Math.floor(rand() * jobs.length)]!;
    const status = await clients
      .get(`${apis[i % apis.length]}/${job.tenant}`)!
      .get(`/jobs/${job.id}`)
      .then(async (res) => (await res.arrayBuffer(), String(res.status)))
      .catch(() => 'no answer');
    answers[status] = (answers[status] ?? 0) + 1;
  }
  return answers;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
