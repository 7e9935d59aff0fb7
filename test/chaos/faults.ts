import { Redis } from 'ioredis';
import pg from 'pg';
import type { ApiClient } from '../support/client.js';
import type { PrivateRedis } from '../support/redis-server.js';
import type { ServiceSlot } from './fleet.js';
import { Observer } from './observer.js';
import type { Submission } from './workload.js';

/** One fault as it happened: when, what it hit, and which jobs were unfinished as it began. */
export interface FaultRecord {
  name: string;
  /** Epoch ms. */
  startedAt: number;
  /** When the service was whole again (a restarted process answering, Redis back). */
  endedAt: number;
  detail: string;
  unfinishedAtStart: string[];
}

/** A cancel request of the storm and its answer. */
export interface CancelAnswer {
  id: string;
  /** The job's status just before the request was sent. */
  before: string;
  status: number;
  code?: string;
}

/** A fault to inject: its name and the action, which reports what it hit. */
export interface Fault {
  name: string;
  /** Milliseconds after the load began. */
  at: number;
  /** Something to wait for as well (the last uploads). */
  after?: Promise<unknown>;
  /** The moment to strike, once `at` and `after` have passed; the fault starts when it resolves. */
  when?: () => Promise<void>;
  run: () => Promise<string>;
}

/** Runs the faults in order, each at its time (or as soon as the previous one ended and its `after` settled). */
export async function runFaults(faults: Fault[], loadStartedAt: number, observer: Observer): Promise<FaultRecord[]> {
  const records: FaultRecord[] = [];
  for (const fault of faults) {
    const wait = loadStartedAt + fault.at - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    await fault.after;
    await fault.when?.();
    const unfinishedAtStart = await observer.unfinished();
    const startedAt = Date.now();
    const detail = await fault.run();
    records.push({ name: fault.name, startedAt, endedAt: Date.now(), detail, unfinishedAtStart });
  }
  return records;
}

/**
 * A worker dies (SIGKILL: a crash, an OOM kill) and its orchestrator starts it
 * again. It strikes (within 15 s) while the worker is inside a document of
 * several pages, some recognised and some not, so that the checkpoint and the
 * redelivery are what recovers it.
 */
export function workerKilled(slot: ServiceSlot, observer: Observer, accepted: () => Submission[]): Pick<Fault, 'when' | 'run'> {
  const midDocument = () => {
    const pages = new Map(accepted().map((s) => [s.id, s.pages]));
    const lines = slot.logLines().filter(({ line }) => line.msg === 'page recognized' || line.msg === 'document processed');
    const last = lines.at(-1)?.line;
    const inside = last?.msg === 'page recognized' && last.page < (pages.get(last.jobId) ?? 0);
    return inside ? `${last.jobId} after page ${last.page} of ${pages.get(last.jobId)}` : undefined;
  };
  return {
    when: async () => {
      const deadline = Date.now() + 15_000;
      while (!midDocument() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    },
    run: async () => {
      const where = midDocument() ?? 'not mid-document';
      const running = (await observer.statusCounts()).RUNNING ?? 0;
      await slot.kill();
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await slot.start();
      return `${slot.name} SIGKILLed (${where}; ${running} jobs RUNNING), restarted`;
    },
  };
}

/** A worker is stopped (SIGTERM: a deploy, a scale-in) and started again. */
export function workerTerminated(slot: ServiceSlot): () => Promise<string> {
  return async () => {
    const stopping = Date.now();
    const code = await slot.terminate();
    const stopped = Date.now() - stopping;
    await slot.start();
    return `${slot.name} SIGTERMed, exited ${code} after ${(stopped / 1000).toFixed(1)} s, restarted`;
  };
}

/** Redis restarts with nothing on disk: every queue entry, lock and pub/sub subscription is gone. */
export function redisRestarted(redis: PrivateRedis): () => Promise<string> {
  return async () => {
    await redis.stop();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await redis.start();
    return 'down 2 s, back empty';
  };
}

/** Someone runs FLUSHALL: the same loss without a dropped connection. */
export function redisFlushed(url: string): () => Promise<string> {
  return async () => {
    const client = new Redis(url);
    try {
      const keys = await client.dbsize();
      await client.flushall();
      return `${keys} keys flushed`;
    } finally {
      client.disconnect();
    }
  };
}

/** The database drops every connection of the service (a failover, a pgbouncer restart, an admin). */
export function databaseConnectionsKilled(serverUrl: string, database: string): () => Promise<string> {
  return async () => {
    const admin = new pg.Client({ connectionString: `${serverUrl}/postgres` });
    await admin.connect();
    try {
      // The test's own observer connection is spared: it is not the service.
      const { rowCount } = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = $1 AND pid <> pg_backend_pid() AND application_name <> $2`,
        [database, Observer.APPLICATION_NAME],
      );
      return `${rowCount} connections terminated`;
    } finally {
      await admin.end();
    }
  };
}

/**
 * Clients cancel about `count` of the accepted jobs at once, through both APIs:
 * every job a worker is busy with now (up to half the storm) and queued ones
 * picked at random for the rest, so both paths of cancel are taken under load.
 * A job left RUNNING by a dead worker is not picked: cancelling it would hide
 * whether the service itself recovers it.
 */
export function cancelStorm(
  accepted: () => Submission[],
  clientFor: (s: Submission) => ApiClient,
  observer: Observer,
  { count, rand, answers }: { count: number; rand: () => number; answers: CancelAnswer[] },
): () => Promise<string> {
  return async () => {
    const statuses = await observer.statuses();
    const progressing = await observer.progressing(5_000);
    const shuffled = accepted().filter((s) => statuses.has(s.id!)).sort(() => rand() - 0.5);
    const running = shuffled.filter((s) => progressing.has(s.id!)).slice(0, Math.ceil(count / 2));
    const queued = shuffled.filter((s) => statuses.get(s.id!) === 'QUEUED').slice(0, count - running.length);
    const targets = [...running, ...queued];
    await Promise.all(
      targets.map(async (s) => {
        const res = await clientFor(s).postJson(`/jobs/${s.id}/cancel`, {}).catch((error: Error) => ({ status: 0, body: { code: error.message } }));
        answers.push({ id: s.id!, before: statuses.get(s.id!)!, status: res.status, code: res.status === 200 ? undefined : res.body?.code });
      }),
    );
    return `${targets.length} cancels (${running.length} of running jobs, ${queued.length} of queued)`;
  };
}
