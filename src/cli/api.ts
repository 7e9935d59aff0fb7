import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** An API answer that was not 2xx: the service's problem+json `code` and `detail`. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, readonly detail: string) {
    super(`${code} (${status}): ${detail}`);
  }
}

/** Wrong arguments: the command exits 2 with its usage text. */
export class UsageError extends Error {}

/** The few HTTP calls the CLI makes; plain fetch, so the CLI carries nothing of the server. */
export class OcrflowApi {
  constructor(private readonly baseUrl: string, private readonly token: string | undefined) {}

  async json(path: string, init: RequestInit = {}): Promise<any> {
    const response = await this.request(path, init);
    return response.json();
  }

  async submit(form: FormData): Promise<{ id: string; status: string }> {
    return this.json('/jobs', { method: 'POST', body: form });
  }

  /** A file the service holds for a job (`GET /jobs/{id}/artifacts/{name}`), as bytes. */
  async download(href: string): Promise<Buffer> {
    return Buffer.from(await (await this.request(href, {})).arrayBuffer());
  }

  /** Yields the job's server-sent events until the server ends the stream after the terminal one. */
  async *events(id: string): AsyncGenerator<EventSourceMessage> {
    const response = await this.request(`/jobs/${id}/events`, { headers: { accept: 'text/event-stream' } });
    const queue: EventSourceMessage[] = [];
    const parser = createParser({ onEvent: (event) => queue.push(event) });
    for await (const chunk of response.body!.pipeThrough(new TextDecoderStream())) {
      parser.feed(chunk);
      yield* queue.splice(0);
    }
  }

  private async request(path: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.token) headers.set('authorization', `Bearer ${this.token}`);
    const url = new URL(path, this.baseUrl);
    const response = await fetch(url, { ...init, headers }).catch((error: Error) => {
      throw new ApiError(0, 'UNREACHABLE', `${url.origin}: ${(error.cause as Error | undefined)?.message ?? error.message}`);
    });
    if (response.ok) return response;
    const text = await response.text();
    let problem: { code?: string; detail?: string } = {};
    try {
      problem = JSON.parse(text);
    } catch {
      // Not our envelope (a proxy's page): show the status and the body as it came.
    }
    throw new ApiError(response.status, problem.code ?? `HTTP_${response.status}`, problem.detail ?? text.slice(0, 200));
  }
}
