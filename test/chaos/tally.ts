import type { CancelAnswer, FaultRecord } from './faults.js';
import type { LogLine } from './fleet.js';
import type { EventRow, JobRow } from './observer.js';
import type { Submission } from './workload.js';

const TERMINAL_EVENTS = new Set(['succeeded', 'partial', 'failed', 'cancelled']);
const TERMINAL_STATUSES = new Set(['SUCCEEDED', 'PARTIAL', 'FAILED', 'CANCELLED']);

/** One line of the printed table. */
export interface Row {
  label: string;
  value: string | number;
}

/**
 * Something else watching the run that adds lines to the table, e.g. a local
 * HTTP receiver counting webhook deliveries and duplicates: start it in the
 * suite's `beforeAll`, pass its URL in `submitAll`'s `fields` (`callbackUrl`),
 * push it onto the suite's `probes`, and assert on its counts beside the others.
 */
export interface Probe {
  rows(jobs: JobRow[]): Promise<Row[]> | Row[];
}

/** Everything the run left behind, read once it is over. */
export interface RunRecord {
  submissions: Submission[];
  jobs: JobRow[];
  events: EventRow[];
  results: Map<string, string>;
  faults: FaultRecord[];
  cancels: CancelAnswer[];
  /** The workers' parsed stdout, every start of every slot. */
  workerLogs: LogLine[];
  /** How each worker process ended: `SIGKILL`, `SIGTERM`, or undefined (ran to the end). */
  endings: Map<string, string | undefined>;
  /** Service processes that ended without the suite stopping them. */
  unexpectedExits: string[];
  /** What a client polling `GET /jobs/:id` through the run was answered, by HTTP status. */
  polled: Record<string, number>;
}

export interface Tally {
  submitted: number;
  accepted: string[];
  refused: Record<string, number>;
  final: Record<string, number>;
  failedByCode: Record<string, number>;
  /** Accepted jobs that never reached a terminal status. */
  lost: string[];
  /** The lost jobs by status and attempts, e.g. `RUNNING attempts 1`. */
  lostBy: Record<string, number>;
  /** Job rows no client was told about (no 202): an upload half-done. */
  unacknowledged: string[];
  /** Jobs with more than one terminal event. */
  finishedTwice: string[];
  /** Jobs with events after their terminal event. */
  eventsAfterEnd: string[];
  /** `jobId:page` with more than one `page.completed` event. */
  pagesStoredTwice: string[];
  /** Born-digital PDFs whose result does not hold their own tag (text layer: exact). */
  wrongResult: string[];
  /** `jobId:page` recognised more than once (worker logs), by why. */
  recognisedAgain: { afterKill: string[]; afterTerm: string[]; other: string[] };
  cancelNotHonoured: string[];
  unexpectedExits: string[];
  cancelAnswers: Record<string, number>;
  polled: Record<string, number>;
  /** Per fault: ms from its end to the last terminal state among the jobs unfinished as it began (of those that ended). */
  recovery: { fault: FaultRecord; ms?: number; stillUnfinished: number }[];
  /** Ms from the last fault's end to the last job's terminal state; undefined while any is unfinished. */
  drainMs?: number;
}

export function tally(run: RunRecord): Tally {
  const accepted = run.submissions.filter((s) => s.id).map((s) => s.id!);
  const acceptedSet = new Set(accepted);
  const byId = new Map(run.jobs.map((job) => [job.id, job]));
  const eventsOf = groupBy(run.events, (e) => e.job_id);
  const finishedAt = (id: string) => byId.get(id)?.finished_at?.getTime();

  const failedByCode: Record<string, number> = {};
  for (const job of run.jobs) if (job.status === 'FAILED') count(failedByCode, job.error_code ?? 'none');

  const finishedTwice: string[] = [];
  const eventsAfterEnd: string[] = [];
  const pagesStoredTwice: string[] = [];
  for (const [id, events] of eventsOf) {
    const terminal = events.filter((e) => TERMINAL_EVENTS.has(e.type));
    if (terminal.length > 1) finishedTwice.push(id);
    const end = events.findIndex((e) => TERMINAL_EVENTS.has(e.type));
    if (end >= 0 && end < events.length - 1) eventsAfterEnd.push(id);
    const pages = groupBy(events.filter((e) => e.type === 'page.completed'), (e) => String(e.data.page));
    for (const [page, stored] of pages) if (stored.length > 1) pagesStoredTwice.push(`${id}:${page}`);
  }

  const wrongResult = run.submissions
    .filter((s) => s.id && s.kind === 'text-pdf' && byId.get(s.id)?.status === 'SUCCEEDED')
    .filter((s) => !run.results.get(s.id!)?.includes(s.tag))
    .map((s) => `${s.id} (${s.tag})`);

  const cancelled = new Set(run.cancels.filter((c) => c.status === 200).map((c) => c.id));
  const lastEnd = run.faults.at(-1)?.endedAt;
  const unfinished = run.jobs.filter((job) => !TERMINAL_STATUSES.has(job.status));
  const lastTerminal = Math.max(...run.jobs.map((job) => job.finished_at?.getTime() ?? 0));

  return {
    submitted: run.submissions.length,
    accepted,
    refused: tallyBy(run.submissions.filter((s) => !s.id), (s) => `${s.status} ${s.code ?? ''}`.trim()),
    final: tallyBy(run.jobs.filter((job) => acceptedSet.has(job.id)), (job) => job.status),
    failedByCode,
    lost: accepted.filter((id) => !TERMINAL_STATUSES.has(byId.get(id)?.status ?? 'missing')),
    lostBy: tallyBy(
      accepted.filter((id) => !TERMINAL_STATUSES.has(byId.get(id)?.status ?? 'missing')),
      (id) => (byId.has(id) ? `${byId.get(id)!.status} after ${byId.get(id)!.attempts} attempts` : 'row missing'),
    ),
    unacknowledged: run.jobs.filter((job) => !acceptedSet.has(job.id)).map((job) => `${job.id} ${job.status}`),
    finishedTwice,
    eventsAfterEnd,
    pagesStoredTwice,
    wrongResult,
    recognisedAgain: recognisedAgain(run.workerLogs, run.endings),
    unexpectedExits: run.unexpectedExits,
    polled: run.polled,
    cancelNotHonoured: [...cancelled].filter((id) => byId.get(id)?.status !== 'CANCELLED'),
    cancelAnswers: tallyBy(run.cancels, (c) => `${c.status} ${c.code ?? ''} (was ${c.before})`.replace('  ', ' ')),
    recovery: run.faults.map((fault) => {
      const ends = fault.unfinishedAtStart.map(finishedAt);
      const still = ends.filter((t) => t === undefined).length;
      const ended = ends.filter((t): t is number => t !== undefined);
      return { fault, stillUnfinished: still, ms: ended.length > 0 ? Math.max(...ended) - fault.endedAt : undefined };
    }),
    drainMs: unfinished.length === 0 && lastEnd !== undefined ? lastTerminal - lastEnd : undefined,
  };
}

/**
 * Pages the workers' logs show recognised more than once, each put down to how
 * the process that read it earlier ended: SIGKILLed (at-least-once: the page
 * was never stored, expected), SIGTERMed (a graceful stop that gave up on its
 * job), or neither (an attempt that failed and was retried, or a second
 * worker on the same job: look at these).
 */
function recognisedAgain(logs: LogLine[], endings: Map<string, string | undefined>): Tally['recognisedAgain'] {
  const reads = groupBy(
    logs.filter(({ line }) => line.msg === 'page recognized' && line.jobId),
    ({ line }) => `${line.jobId}:${line.page}`,
  );
  const out: Tally['recognisedAgain'] = { afterKill: [], afterTerm: [], other: [] };
  for (const [key, lines] of reads) {
    if (lines.length < 2) continue;
    const earlier = lines.sort((a, b) => a.line.time - b.line.time).slice(0, -1).map((l) => endings.get(l.process));
    const label = `${key} (${lines.map((l) => l.process).join(', ')})`;
    if (earlier.includes('SIGKILL')) out.afterKill.push(label);
    else if (earlier.includes('SIGTERM')) out.afterTerm.push(label);
    else out.other.push(label);
  }
  return out;
}

/** The table, as printed to the log. */
export function table(t: Tally, extra: Row[] = []): string {
  const seconds = (ms?: number) => (ms === undefined ? 'not all terminal' : `${(ms / 1000).toFixed(1)} s`);
  const list = (ids: string[], max = 3) => (ids.length === 0 ? '0' : `${ids.length}: ${ids.slice(0, max).join(', ')}${ids.length > max ? ' …' : ''}`);
  const entries = (record: Record<string, number>) =>
    Object.keys(record).length === 0 ? '0' : Object.entries(record).map(([k, v]) => `${k} ${v}`).join(', ');
  const again = t.recognisedAgain;
  const rows: Row[] = [
    { label: 'submitted', value: t.submitted },
    { label: 'accepted (202)', value: t.accepted.length },
    { label: 'refused', value: entries(t.refused) },
    { label: 'succeeded', value: t.final.SUCCEEDED ?? 0 },
    { label: 'partial', value: t.final.PARTIAL ?? 0 },
    { label: 'failed, by code', value: entries(t.failedByCode) },
    { label: 'cancelled', value: t.final.CANCELLED ?? 0 },
    { label: 'cancel answers', value: entries(t.cancelAnswers) },
    { label: 'GET /jobs/:id answers while polling', value: entries(t.polled) },
    { label: 'cancelled (200) but ended otherwise', value: list(t.cancelNotHonoured) },
    { label: 'service processes that exited by themselves', value: list(t.unexpectedExits) },
    { label: 'lost (never terminal)', value: t.lost.length === 0 ? 0 : `${entries(t.lostBy)}; ${list(t.lost)}` },
    { label: 'job rows no client was given', value: list(t.unacknowledged) },
    { label: 'duplicated results (finished twice)', value: list(t.finishedTwice) },
    { label: 'events after the terminal event', value: list(t.eventsAfterEnd) },
    { label: 'pages stored twice (page.completed)', value: list(t.pagesStoredTwice) },
    { label: 'results not of their document', value: list(t.wrongResult) },
    { label: 'pages recognised more than once', value: again.afterKill.length + again.afterTerm.length + again.other.length },
    { label: '  after their worker was SIGKILLed', value: list(again.afterKill, 2) },
    { label: '  after their worker was SIGTERMed', value: list(again.afterTerm, 2) },
    { label: '  otherwise (retried attempt, 2 workers)', value: list(again.other, 2) },
    ...t.recovery.map(({ fault, ms, stillUnfinished }) => ({
      label: `after ${fault.name}`,
      value: `${fault.detail}; ${fault.unfinishedAtStart.length} jobs unfinished as it began, ` +
        `the last terminal ${seconds(ms)} after its end` + (stillUnfinished > 0 ? `, ${stillUnfinished} never` : ''),
    })),
    { label: 'last fault end → last terminal state', value: seconds(t.drainMs) },
    ...extra,
  ];
  const width = Math.max(...rows.map((row) => row.label.length));
  return ['chaos run', ...rows.map((row) => `  ${row.label.padEnd(width)}  ${row.value}`)].join('\n');
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

function count(record: Record<string, number>, key: string): void {
  record[key] = (record[key] ?? 0) + 1;
}

function tallyBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const record: Record<string, number> = {};
  for (const item of items) count(record, key(item));
  return record;
}
