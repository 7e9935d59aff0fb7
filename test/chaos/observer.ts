import pg from 'pg';

export interface JobRow {
  id: string;
  status: string;
  error_code: string | null;
  attempts: number;
  pages_total: number | null;
  created_at: Date;
  finished_at: Date | null;
}

export interface EventRow {
  job_id: string;
  seq: number;
  type: string;
  data: Record<string, any>;
  created_at: Date;
}

/**
 * The test's read-only view of the service's database, through a connection
 * of its own (named, so that killing the service's connections spares it, and
 * reconnecting should it be dropped anyway).
 */
export class Observer {
  static readonly APPLICATION_NAME = 'ocrflow-chaos-observer';
  private readonly pool: pg.Pool;

  constructor(databaseUrl: string) {
    this.pool = new pg.Pool({ connectionString: databaseUrl, max: 2, application_name: Observer.APPLICATION_NAME });
    // An idle connection dropped by the server is replaced at the next query.
    this.pool.on('error', () => undefined);
  }

  async unfinished(): Promise<string[]> {
    const rows = await this.query<{ id: string }>(`SELECT id::text FROM jobs WHERE status IN ('QUEUED', 'RUNNING')`);
    return rows.map((row) => row.id);
  }

  async statuses(): Promise<Map<string, string>> {
    const rows = await this.query<{ id: string; status: string }>('SELECT id::text, status::text FROM jobs');
    return new Map(rows.map((row) => [row.id, row.status]));
  }

  /** Running jobs whose row moved (a page stored, the start) in the last `ms`: work in progress, not a lost worker's. */
  async progressing(ms: number): Promise<Set<string>> {
    const rows = await this.query<{ id: string }>(
      `SELECT id::text FROM jobs WHERE status = 'RUNNING' AND updated_at > now() - make_interval(secs => ${ms / 1000})`,
    );
    return new Set(rows.map((row) => row.id));
  }

  async statusCounts(): Promise<Record<string, number>> {
    const rows = await this.query<{ status: string; n: number }>('SELECT status::text, count(*)::int AS n FROM jobs GROUP BY status');
    return Object.fromEntries(rows.map((row) => [row.status, row.n]));
  }

  jobs(): Promise<JobRow[]> {
    return this.query<JobRow>(
      'SELECT id::text, status::text, error_code, attempts, pages_total, created_at, finished_at FROM jobs ORDER BY created_at',
    );
  }

  events(): Promise<EventRow[]> {
    return this.query<EventRow>('SELECT job_id::text, seq, type, data, created_at FROM job_events ORDER BY job_id, seq');
  }

  /** Result texts by job id. */
  async resultTexts(): Promise<Map<string, string>> {
    const rows = await this.query<{ job_id: string; text: string }>('SELECT job_id::text, text FROM job_results');
    return new Map(rows.map((row) => [row.job_id, row.text]));
  }

  close(): Promise<void> {
    return this.pool.end();
  }

  /** One retry: the observer's own connection may be caught by a fault. */
  private async query<T extends pg.QueryResultRow>(text: string): Promise<T[]> {
    try {
      return (await this.pool.query<T>(text)).rows;
    } catch {
      return (await this.pool.query<T>(text)).rows;
    }
  }
}
