import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { exportJWK, SignJWT } from 'jose';
import jwt from 'jsonwebtoken';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AppConfig } from '../config/config.js';
import { TokenVerifier } from './token-verifier.js';

const SECRET = 'a-secret-of-at-least-thirty-two-characters';
const NOW = Date.UTC(2026, 10, 29, 12);

function verifier(auth: Partial<AppConfig['auth']>): TokenVerifier {
  return new TokenVerifier({ auth: { clockSkewSeconds: 0, ...auth } } as AppConfig);
}

function signed(expSeconds: number, key: Uint8Array = new TextEncoder().encode(SECRET)) {
  return new SignJWT({ scope: 'jobs:read' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('alice')
    .setIssuedAt(NOW / 1000)
    .setExpirationTime(NOW / 1000 + expSeconds)
    .sign(key);
}

describe('TokenVerifier', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('remembers a token checked with JWT_SECRET: the same token again is not verified again', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: NOW });
    const tokens = verifier({ jwtSecret: SECRET });
    const token = await signed(60);
    const verify = vi.spyOn(jwt, 'verify');

    expect((await tokens.verify(token))?.subject).toBe('alice');
    expect((await tokens.verify(token))?.subject).toBe('alice');
    expect(verify).toHaveBeenCalledTimes(1);
  });

  it('refuses a remembered token once it has expired', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: NOW });
    const tokens = verifier({ jwtSecret: SECRET });
    const token = await signed(60);
    expect(await tokens.verify(token)).toBeDefined();

    vi.setSystemTime(NOW + 59_000);
    expect(await tokens.verify(token)).toBeDefined();
    vi.setSystemTime(NOW + 61_000);
    expect(await tokens.verify(token)).toBeUndefined();
  });

  it('keeps the clock skew allowance to the checked token, and refuses past it', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: NOW });
    const tokens = verifier({ jwtSecret: SECRET, clockSkewSeconds: 30 });
    const token = await signed(60);
    expect(await tokens.verify(token)).toBeDefined();

    vi.setSystemTime(NOW + 80_000);
    expect(await tokens.verify(token)).toBeDefined();
    vi.setSystemTime(NOW + 91_000);
    expect(await tokens.verify(token)).toBeUndefined();
  });

  it('does not take another token for a remembered one', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: NOW });
    const tokens = verifier({ jwtSecret: SECRET });
    const token = await signed(60);
    expect(await tokens.verify(token)).toBeDefined();

    const [header, payload, signature] = token.split('.') as [string, string, string];
    const forged = await signed(60, new TextEncoder().encode('another-secret-of-thirty-two-characters!'));
    const adminPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), scope: 'admin' })).toString('base64url');
    const flipped = signature.slice(0, -2) + (signature.at(-2) === 'A' ? 'B' : 'A') + signature.at(-1);
    expect(await tokens.verify(forged), 'the same claims signed by another key').toBeUndefined();
    expect(await tokens.verify(`${header}.${adminPayload}.${signature}`), 'other claims under its signature').toBeUndefined();
    expect(await tokens.verify(`${header}.${payload}.${flipped}`), 'another signature').toBeUndefined();
    expect((await tokens.verify(token))?.scopes).toEqual(new Set(['jobs:read']));
  });

  it('checks a token whose key came from JWT_JWKS_URL every time: the issuer may withdraw the key', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const issuer: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((resolve) => issuer.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(issuer.address() as { port: number }).port}/jwks.json`;
      const tokens = verifier({ jwks: { url, cooldownMs: 1_000 } });
      const token = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setSubject('alice').setExpirationTime('1h').sign(privateKey);
      const verify = vi.spyOn(jwt, 'verify');

      expect(await tokens.verify(token)).toBeDefined();
      expect(await tokens.verify(token)).toBeDefined();
      expect(verify).toHaveBeenCalledTimes(2);
    } finally {
      issuer.closeAllConnections();
      await new Promise<void>((resolve) => issuer.close(() => resolve()));
    }
  });
});
