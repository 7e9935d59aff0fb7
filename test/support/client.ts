/** A minimal HTTP client for the API, as a developer would call it with fetch. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly bearer?: string,
  ) {}

  as(bearer: string | undefined): ApiClient {
    return new ApiClient(this.baseUrl, bearer);
  }

  async upload(
    data: Buffer | undefined,
    {
      fileName = 'page.png',
      field = 'file',
      path = '/jobs',
      fields = {} as Record<string, string>,
      headers = {} as Record<string, string>,
    } = {},
  ): Promise<Response> {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    if (data) form.append(field, new Blob([new Uint8Array(data)]), fileName);
    else form.append('note', 'no file here');
    return fetch(this.baseUrl + path, { method: 'POST', body: form, headers: { ...this.headers(), ...headers } });
  }

  /** Uploads and returns the created job, failing loudly unless it was accepted. */
  async submit(data: Buffer, options: { fileName?: string; fields?: Record<string, string> } = {}): Promise<any> {
    const res = await this.upload(data, options);
    const body = await res.json();
    if (res.status !== 202) throw new Error(`upload refused: ${res.status} ${JSON.stringify(body)}`);
    return body;
  }

  /** POSTs a JSON body (or JSON text as is: one too deep for JSON.stringify) and reads the JSON answer. */
  async postJson<T = any>(path: string, body: unknown, { raw = false } = {}): Promise<{ status: number; body: T }> {
    const res = await fetch(this.baseUrl + path, {
      method: 'POST',
      body: raw ? (body as string) : JSON.stringify(body),
      headers: { ...this.headers(), 'content-type': 'application/json' },
    });
    return { status: res.status, body: (await res.json()) as T };
  }

  /** DELETEs and returns the status, with the problem body when there is one. */
  async delete(path: string): Promise<{ status: number; body: any }> {
    const res = await fetch(this.baseUrl + path, { method: 'DELETE', headers: this.headers() });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  /** POSTs without a body, as `curl -X POST` does. */
  async post<T = any>(path: string): Promise<{ status: number; body: T }> {
    const res = await fetch(this.baseUrl + path, { method: 'POST', headers: this.headers() });
    return { status: res.status, body: (await res.json()) as T };
  }

  get(path: string): Promise<Response> {
    return fetch(this.baseUrl + path, { headers: this.headers() });
  }

  async json<T = any>(path: string): Promise<{ status: number; body: T; headers: Headers }> {
    const res = await this.get(path);
    return { status: res.status, body: (await res.json()) as T, headers: res.headers };
  }

  /**
   * Reads a server-sent event stream to its end (the server closes it after a
   * job's last event), as an EventSource would parse it.
   */
  async events(path: string, { lastEventId }: { lastEventId?: string } = {}): Promise<ServerEvent[]> {
    const headers = { ...this.headers(), accept: 'text/event-stream', ...(lastEventId && { 'last-event-id': lastEventId }) };
    const res = await fetch(this.baseUrl + path, { headers, signal: AbortSignal.timeout(150_000) });
    if (res.status !== 200) throw new Error(`events refused: ${res.status} ${await res.text()}`);
    const events: ServerEvent[] = [];
    for (const block of (await res.text()).split('\n\n')) {
      const fields = block.split('\n').filter((line) => line && !line.startsWith(':'));
      if (fields.length === 0) continue;
      const value = (name: string) => fields.filter((l) => l.startsWith(`${name}: `)).map((l) => l.slice(name.length + 2));
      events.push({ id: value('id')[0] ?? '', type: value('event')[0] ?? 'message', data: JSON.parse(value('data').join('\n')) });
    }
    return events;
  }

  private headers(): Record<string, string> {
    return this.bearer ? { authorization: `Bearer ${this.bearer}` } : {};
  }
}

export interface ServerEvent {
  id: string;
  type: string;
  data: any;
}

/** Waits for a job to reach a terminal status and returns its view. */
export async function waitForJob(client: ApiClient, id: string, timeoutMs = 150_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await client.json(`/jobs/${id}`);
    if (['SUCCEEDED', 'PARTIAL', 'FAILED', 'CANCELLED'].includes(body.status)) return body;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${body.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
