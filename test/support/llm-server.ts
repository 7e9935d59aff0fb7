import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A chat-completions request as the server received it. */
export interface LlmRequest {
  authorization: string | undefined;
  body: { model: string; messages: { role: string; content: string }[]; response_format?: { type: string; json_schema?: any } };
}

/**
 * A real HTTP server speaking the OpenAI chat-completions API (`POST
 * /v1/chat/completions`, `GET /v1/models`), standing in for a remote LLM. It
 * answers `reply(request)` as the assistant's message content, and can refuse
 * structured output the way servers without it do.
 */
export class FakeLlmServer {
  readonly requests: LlmRequest[] = [];
  /** The assistant's answer; a string is sent as is, anything else as JSON. */
  reply: (request: LlmRequest) => unknown = () => ({});
  /** Answer 400 to requests with `response_format`, as a server without structured output does. */
  rejectStructuredOutput = false;
  private server?: Server;
  private port = 0;

  constructor(private readonly apiKey: string) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  /** Listens, on the same port as before when restarted. */
  async start(): Promise<void> {
    const server = createServer((req, res) => {
      void this.handle(req).then(([status, body]) => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening and drops every connection; nothing to do when stopped (a test that failed while it was down). */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  private async handle(req: IncomingMessage): Promise<[number, unknown]> {
    if (req.headers.authorization !== `Bearer ${this.apiKey}`) return [401, { error: { message: 'bad key' } }];
    if (req.method === 'GET' && req.url === '/v1/models') return [200, { object: 'list', data: [{ id: 'test-model', object: 'model' }] }];
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return [404, { error: { message: 'not found' } }];
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request: LlmRequest = { authorization: req.headers.authorization, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
    this.requests.push(request);
    if (this.rejectStructuredOutput && request.body.response_format) {
      return [400, { error: { message: "'response_format' is not supported" } }];
    }
    const answer = this.reply(request);
    const content = typeof answer === 'string' ? answer : JSON.stringify(answer);
    return [200, { id: 'chatcmpl-1', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] }];
  }
}
