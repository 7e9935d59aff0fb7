import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends bytes no HTTP client would (oversized headers, a broken request line)
 * straight down a TCP socket and reads what comes back until the server closes it.
 */
export function rawRequest(baseUrl: string, request: string): Promise<RawResponse> {
  return slowRequest(baseUrl, request, '', 0);
}

/**
 * Like {@link rawRequest}, then sends `trickle` one byte every `intervalMs`
 * (a slow sender: headers or a body dribbled out), for as long as the server
 * keeps the connection open. Resolves with what the server answered once it
 * closes the connection; gives up after `deadlineMs` of total time.
 */
export function slowRequest(baseUrl: string, request: string, trickle: string, intervalMs: number, deadlineMs = 60_000): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    let sent = 0;
    const drip = trickle
      ? setInterval(() => {
          if (sent < trickle.length && socket.writable) socket.write(trickle[sent++]!);
        }, intervalMs)
      : undefined;
    const deadline = setTimeout(() => socket.destroy(), deadlineMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    // The server may close while the request is still being written: what it answered counts.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(drip);
      clearTimeout(deadline);
      const raw = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = raw.split(/\r\n\r\n(.*)/s);
      const [statusLine = '', ...lines] = head.split('\r\n');
      const status = Number(statusLine.split(' ')[1]);
      if (!status) return reject(new Error(`no HTTP response: ${JSON.stringify(raw.slice(0, 200))}`));
      const headers = Object.fromEntries(
        lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
      );
      resolve({ status, headers, body });
    });
    // Idle for 10 s: the server neither answered nor closed (a slow sender is never idle that long).
    socket.setTimeout(10_000, () => socket.destroy());
    socket.write(request);
  });
}
