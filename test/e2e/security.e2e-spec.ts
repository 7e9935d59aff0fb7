import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { exportJWK, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../support/app.js';
import { pngClaiming } from '../support/bad-files.js';
import { ApiClient, waitForJob } from '../support/client.js';
import { corpusHas, corpusPath } from '../support/corpus.js';
import { scannedPdf } from '../support/documents.js';
import { createTestEnv, eventually, JWT_SECRET, type TestEnv } from '../support/harness.js';
import { textImage } from '../support/images.js';
import { backNearIdle, MB, settledRss } from '../support/memory.js';
import { freePort, startService, stopService } from '../support/process.js';

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'ocrflow';
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

interface Claims {
  sub?: string;
  scope?: string;
  iss?: string;
  aud?: string;
  exp?: number;
  nbf?: number;
}

/** A token with the given claims (defaults: valid for an hour, read and write), signed as `alg` with `key`. */
async function sign(
  claims: Claims = {},
  { alg = 'HS256', key = new TextEncoder().encode(JWT_SECRET) as Uint8Array | KeyObject, kid = undefined as string | undefined } = {},
): Promise<string> {
  const all: Claims = { sub: 'alice', scope: 'jobs:read jobs:write', iss: ISSUER, aud: AUDIENCE, exp: now() + 3600, ...claims };
  const payload = Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined));
  return new SignJWT(payload).setProtectedHeader({ alg, ...(kid && { kid }) }).sign(key);
}

describe('security: a hostile client against the service with an HS256 secret (its own process, MODE=all)', () => {
  let env: TestEnv;
  let service: ReturnType<typeof startService>;
  let base: ApiClient;
  /** Every bearer token sent in this suite, valid or not: none may reach the log. */
  const sent: string[] = [];
  const as = (bearer: string) => {
    sent.push(bearer);
    return base.as(bearer);
  };

  beforeAll(async () => {
    env = await createTestEnv('e2e_security');
    const port = await freePort();
    service = startService({
      ...env.env,
      MODE: 'all',
      PORT: String(port),
      LOG_LEVEL: 'debug',
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: AUDIENCE,
      // The turned files start the orientation engine; it must be gone again
      // (a second unused) before the memory after the corpus is measured.
      OCR_ORIENTATION_IDLE_MS: '1000',
    });
    base = new ApiClient(`http://127.0.0.1:${port}`);
    await eventually(async () => ((await fetch(`${base.baseUrl}/health/live`).catch(() => undefined))?.ok ? true : undefined), 60_000);
  }, 90_000);
  afterAll(async () => {
    if (service) await stopService(service);
    await env?.cleanup();
  });

  it('refuses every malformed, forged, stale or unusable token with the same 401, on reads and uploads', async () => {
    const png = await textImage(['never stored']);
    const { privateKey: strangerRsa } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const attacks: Record<string, string> = {
      'not a JWT': 'not-a-jwt',
      'three empty parts': '..',
      'header not JSON': `${Buffer.from('{nope').toString('base64url')}.${b64({ sub: 'alice' })}.sig`,
      expired: await sign({ exp: now() - 120 }),
      'not yet valid': await sign({ nbf: now() + 600 }),
      'no exp': await sign({ exp: undefined }),
      'wrong signature': await sign({}, { key: new TextEncoder().encode('another-secret-that-is-long-enough!!') }),
      'wrong issuer': await sign({ iss: 'https://evil.test' }),
      'no issuer': await sign({ iss: undefined }),
      'wrong audience': await sign({ aud: 'someone-else' }),
      'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'alice', scope: 'jobs:read jobs:write', iss: ISSUER, aud: AUDIENCE, exp: now() + 3600 })}.`,
      'HS512, an algorithm not configured': await sign({}, { alg: 'HS512' }),
      'RS256 with no public key configured': await sign({}, { alg: 'RS256', key: strangerRsa }),
      'NUL byte in sub': await sign({ sub: 'ali\u0000ce' }),
      'newline in sub': await sign({ sub: 'alice\nadmin' }),
      'sub of 129 characters': await sign({ sub: 'a'.repeat(129) }),
      'no sub': await sign({ sub: undefined }),
    };
    const outcomes: Record<string, string> = {};
    for (const [name, bearer] of Object.entries(attacks)) {
      const client = as(bearer);
      const read = await client.json('/jobs');
      const upload = await client.upload(png);
      outcomes[name] = `${read.status} ${read.body.code} / ${upload.status} ${((await upload.json()) as any).code}`;
    }
    expect(outcomes).toEqual(Object.fromEntries(Object.keys(attacks).map((name) => [name, '401 UNAUTHORIZED / 401 UNAUTHORIZED'])));
    expect((await base.json('/jobs')).status).toBe(401);
    expect(await env.sql('SELECT id FROM jobs')).toEqual([]);

    // The allowed clock skew (30 s) and a well-formed token still work.
    expect((await as(await sign({ exp: now() - 10 })).json('/jobs')).status).toBe(200);
    expect((await as(await sign({ sub: 'auth0|5f7c8ec7c33c6c004bbafe82' })).json('/jobs')).status).toBe(200);
  });

  it('needs the scope each route names: jobs:read to read, jobs:write to upload, admin for the queue', async () => {
    const png = await textImage(['Scope check']);
    const reader = as(await sign({ scope: 'jobs:read' }));
    const writer = as(await sign({ scope: 'jobs:write' }));
    const nobody = as(await sign({ scope: undefined }));
    const stranger = as(await sign({ scope: 'jobs:delete openid' }));

    const refused = async (res: Response) => [res.status, ((await res.json()) as any).code];
    expect(await refused(await reader.upload(png))).toEqual([403, 'FORBIDDEN']);
    expect(await refused(await writer.get('/jobs'))).toEqual([403, 'FORBIDDEN']);
    expect(await refused(await nobody.get('/jobs'))).toEqual([403, 'FORBIDDEN']);
    expect(await refused(await stranger.upload(png))).toEqual([403, 'FORBIDDEN']);
    expect(await refused(await reader.get('/admin/queue'))).toEqual([403, 'FORBIDDEN']);

    const { id } = await writer.submit(png);
    expect((await reader.json(`/jobs/${id}`)).status).toBe(200);
    expect((await writer.get(`/jobs/${id}`)).status).toBe(403);
  });

  it("answers another subject's job with 404 on every route, and lets an admin read it", async () => {
    const alice = as(await sign({ sub: 'alice' }));
    const bob = as(await sign({ sub: 'bob' }));
    const admin = as(await sign({ sub: 'operator', scope: 'admin' }));
    const { id } = await alice.submit(await textImage(['Alice only', 'Total 12.00']));
    await waitForJob(alice, id);

    for (const path of [`/jobs/${id}`, `/jobs/${id}/results`, `/jobs/${id}/events`]) {
      const res = await bob.get(path);
      expect([path, res.status, ((await res.json()) as any).code]).toEqual([path, 404, 'NOT_FOUND']);
    }
    expect((await bob.json('/jobs')).body.items.map((job: any) => job.id)).not.toContain(id);

    expect((await admin.json(`/jobs/${id}`)).body.status).toBe('SUCCEEDED');
    expect((await admin.json(`/jobs/${id}/results`)).body.text).toContain('Alice only');
    expect((await admin.json('/jobs?limit=100')).body.items.map((job: any) => job.id)).toContain(id);
    const queue = await admin.json('/admin/queue');
    expect(queue.status).toBe(200);
    expect(queue.body.queue).toMatchObject({ waiting: expect.any(Number), active: expect.any(Number), failed: expect.any(Number) });
    expect(queue.body.jobs.SUCCEEDED).toBeGreaterThanOrEqual(1);
  });

  it('refuses a PNG claiming 40,000 x 40,000 pixels at upload, stores nothing, and stays up', async () => {
    const alice = as(await sign());
    const before = await env.sql('SELECT count(*)::int AS n FROM jobs');
    const res = await alice.upload(await pngClaiming(40_000, 40_000));
    expect([res.status, ((await res.json()) as any).code]).toEqual([422, 'IMAGE_TOO_LARGE']);
    expect(await env.sql('SELECT count(*)::int AS n FROM jobs')).toEqual(before);
    expect((await fetch(`${base.baseUrl}/health/live`)).status).toBe(200);
  });

  const edge = corpusHas(join('edge', 'edge.json'), 'security edge corpus');
  it.skipIf(!edge)(
    'answers every hostile file of the edge corpus with a 4xx or a job that ends with a code, stays up, and gives memory back',
    { timeout: 600_000 },
    async () => {
      // Idle means warm: one A4 page OCRed at 300 dpi, the size an engine's memory settles at.
      const alice = as(await sign());
      const warm = await alice.submit(await scannedPdf([['Warm up page', 'Total 1.00']]));
      await waitForJob(alice, warm.id);
      const idle = await settledRss(service.pid!);

      const dir = corpusPath('edge');
      const files = readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile() && !/\.(md|json)$/.test(entry.name))
        .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
        .sort();
      const outcomes: Record<string, string> = {};
      for (const file of files) {
        const res = await alice.upload(readFileSync(join(dir, file)), { fileName: file.split('/').pop() });
        const body = (await res.json()) as any;
        if (res.status !== 202) {
          expect(res.status, file).toBeGreaterThanOrEqual(400);
          expect(res.status, file).toBeLessThan(500);
          outcomes[file] = `${res.status} ${body.code}`;
        } else {
          const job = await waitForJob(alice, body.id, 240_000);
          outcomes[file] = job.status === 'FAILED' ? `FAILED ${job.error.code}` : job.status;
          if (job.status === 'FAILED') expect(job.error.code, file).toMatch(/^[A-Z_]+$/);
          else expect(['SUCCEEDED', 'PARTIAL'], file).toContain(job.status);
        }
        expect((await fetch(`${base.baseUrl}/health/live`)).status, `alive after ${file}`).toBe(200);
      }
      console.log('[security] edge corpus outcomes', outcomes);
      expect(Object.keys(outcomes)).toHaveLength(files.length);

      const settled = await backNearIdle(service.pid!, idle, 100 * MB);
      console.log(`[security] RSS idle ${Math.round(idle / MB)} MB, after the edge corpus ${Math.round(settled / MB)} MB`);
    },
  );

  it('never writes a configured secret or a bearer token into its log', async () => {
    expect(sent.length).toBeGreaterThan(20);
    const log = service.output();
    // The log is not empty: every request of the run has its access line, refused ones included.
    const access = log.split('\n').filter((line) => line.includes('"msg":"request completed"'));
    expect(access.length).toBeGreaterThan(sent.length);
    expect(access.some((line) => line.includes('"statusCode":401'))).toBe(true);
    expect(log).not.toContain(JWT_SECRET);
    for (const bearer of sent) {
      // A token's signature is the part that must never leak; malformed ones may have none.
      const secretPart = bearer.split('.')[2] || bearer;
      if (secretPart.length >= 16) expect(log).not.toContain(secretPart);
    }
    expect(log).not.toMatch(/Bearer\s+[A-Za-z0-9_-]{10,}/i);
  });
});

describe('security: each token key source alone', () => {
  let env: TestEnv;
  const apps: RunningApp[] = [];
  const png = textImage(['Key source check']);

  beforeAll(async () => {
    env = await createTestEnv('e2e_security_keys');
  });
  afterAll(async () => {
    await Promise.all(apps.map((running) => running.app.close()));
    await env?.cleanup();
  });

  async function serve(overrides: Record<string, string>): Promise<ApiClient> {
    const running = await startApp(env, { MODE: 'api', JWT_SECRET: '', ...overrides });
    apps.push(running);
    return new ApiClient(await running.app.getUrl());
  }

  /** Status of a read and of an upload with this token. */
  async function statuses(client: ApiClient, bearer: string): Promise<[number, number]> {
    const authed = client.as(bearer);
    return [(await authed.get('/jobs')).status, (await authed.upload(await png)).status];
  }

  it('serves with JWT_PUBLIC_KEY alone (RSA and EC), and refuses HS256 signed with that public key', async () => {
    const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ec = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
    for (const [alg, pair] of [['RS256', rsa], ['ES256', ec]] as const) {
      const { publicKey, privateKey } = pair();
      const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
      const client = await serve({ JWT_PUBLIC_KEY: pem });
      const other = pair().privateKey;
      const claims = { iss: undefined, aud: undefined };

      expect(await statuses(client, await sign(claims, { alg, key: privateKey })), `${alg} accepted`).toEqual([200, 202]);
      // The classic confusion: the public key's PEM used as an HMAC secret.
      const confused = await sign(claims, { alg: 'HS256', key: new TextEncoder().encode(pem) });
      expect(await statuses(client, confused), 'HS256 with the public key').toEqual([401, 401]);
      expect(await statuses(client, await sign(claims)), 'HS256 with no secret configured').toEqual([401, 401]);
      expect(await statuses(client, await sign(claims, { alg, key: other })), `${alg} by another key`).toEqual([401, 401]);
    }
  });

  it('serves with JWT_JWKS_URL alone: follows a key rotation, refuses a removed key, and rate-limits refetches', async () => {
    const keys = (n: number) => {
      const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      return { kid: `key-${n}`, ...pair };
    };
    const [first, second] = [keys(1), keys(2)];
    let published: JWK[] = [{ ...(await exportJWK(first.publicKey)), kid: first.kid, alg: 'ES256', use: 'sig' }];
    let fetches = 0;
    const issuer: Server = createServer((_req, res) => {
      fetches += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: published }));
    });
    await new Promise<void>((resolve) => issuer.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(issuer.address() as { port: number }).port}/.well-known/jwks.json`;
    try {
      const client = await serve({ JWT_JWKS_URL: url, JWT_JWKS_COOLDOWN_MS: '1000' });
      const claims = { iss: undefined, aud: undefined };
      const withKey = (key: ReturnType<typeof keys>) => sign(claims, { alg: 'ES256', key: key.privateKey, kid: key.kid });

      expect(await statuses(client, await withKey(first))).toEqual([200, 202]);
      expect(await statuses(client, await sign(claims)), 'HS256 with no secret').toEqual([401, 401]);

      // The issuer rotates: the new key appears, the old one is withdrawn.
      published = [{ ...(await exportJWK(second.publicKey)), kid: second.kid, alg: 'ES256', use: 'sig' }];
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      expect(await statuses(client, await withKey(second)), 'rotated key').toEqual([200, 202]);
      expect(await statuses(client, await withKey(first)), 'withdrawn key').toEqual([401, 401]);

      // A burst of unknown key ids costs the issuer at most one request per cooldown.
      const before = fetches;
      for (let i = 0; i < 20; i++) {
        const stranger = keys(100 + i);
        expect((await client.as(await withKey(stranger)).get('/jobs')).status).toBe(401);
      }
      expect(fetches - before).toBeLessThanOrEqual(1);

      // The issuer down: tokens are refused, the service keeps answering.
      await new Promise<void>((resolve) => issuer.close(() => resolve()));
      issuer.closeAllConnections();
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      expect((await client.as(await withKey(keys(999))).get('/jobs')).status).toBe(401);
      expect((await client.get('/health/live')).status).toBe(200);
    } finally {
      issuer.closeAllConnections();
      issuer.close();
    }
  });
});
