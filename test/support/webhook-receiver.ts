import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A `WEBHOOK_SECRET` for tests: `whsec_` and 32 bytes in base64. */
export const WEBHOOK_SECRET = `whsec_${Buffer.from('a test key of thirty-two bytes!!').toString('base64')}`;

export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body, as a verifier must see it. */
  body: string;
  json: any;
}

/**
 * A real HTTP endpoint on 127.0.0.1 standing in for a client's webhook
 * receiver: it records every request and answers each path with the statuses
 * scripted for it, in turn (the last one repeats; 200 when none).
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private readonly scripts = new Map<string, number[]>();
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const path = request.url ?? '/';
        this.received.push({ path, headers: request.headers, body, json: JSON.parse(body) });
        const script = this.scripts.get(path) ?? [];
        const status = script.length > 1 ? script.shift()! : (script[0] ?? 200);
        response.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : `receiver says ${status}`);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Answers `path` with these statuses, one per request; the last one from then on. */
  answer(path: string, ...statuses: number[]): void {
    this.scripts.set(path, statuses);
  }

  at(path: string): ReceivedWebhook[] {
    return this.received.filter((hook) => hook.path === path);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve) ?? resolve(undefined));
  }
}
