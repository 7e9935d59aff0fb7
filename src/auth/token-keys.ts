import { createPublicKey, createSecretKey, KeyObject } from 'node:crypto';
import { createRemoteJWKSet, decodeProtectedHeader, type ProtectedHeaderParameters, type RemoteJWKSet } from 'jose';
import type { AppConfig } from '../config/config.js';

/** Asymmetric algorithms a JWKS may use; `none` and HMAC never come from a key set. */
const JWKS_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'];

/** The one ECDSA algorithm each named curve signs with. */
const EC_ALGORITHM: Record<string, string> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' };

/** A token header this service will not verify: unknown algorithm, or no key for it. */
export class UnusableTokenError extends Error {}

/**
 * The keys bearer tokens are checked against, chosen by the token's `alg`:
 * HS256 only with `JWT_SECRET`, the public key's own algorithm only with
 * `JWT_PUBLIC_KEY`, asymmetric algorithms with the `JWT_JWKS_URL` key set.
 * A secret is never offered for an RS/ES token nor a public key for an HS
 * one, which is what stops algorithm confusion; the verifier (jsonwebtoken)
 * also refuses a key of the wrong type for the algorithm.
 */
export class TokenKeys {
  /** Every algorithm some configured key accepts. */
  readonly algorithms: string[];
  // Key objects made once: given a string, jsonwebtoken would try it as a
  // public key (and throw) and then as a secret, on every request.
  private readonly secret?: KeyObject;
  private readonly publicKey?: { key: KeyObject; algorithm: string };
  private readonly keySet?: RemoteJWKSet;

  /** @throws Error when `JWT_PUBLIC_KEY` is not an RSA or P-256/384/521 EC public key. */
  constructor(auth: AppConfig['auth']) {
    if (auth.jwtSecret) this.secret = createSecretKey(Buffer.from(auth.jwtSecret));
    if (auth.publicKey) {
      const key = createPublicKey(auth.publicKey);
      this.publicKey = { key, algorithm: algorithmOf(key) };
    }
    if (auth.jwks) {
      // jose caches the set, refetches it when a token names a `kid` it lacks,
      // and makes at most one request per cooldown, so unknown kids cannot
      // turn into a flood against the issuer.
      this.keySet = createRemoteJWKSet(new URL(auth.jwks.url), {
        cooldownDuration: auth.jwks.cooldownMs,
        timeoutDuration: 5_000,
      });
    }
    this.algorithms = [
      ...(this.secret ? ['HS256'] : []),
      ...(this.publicKey ? [this.publicKey.algorithm] : []),
      ...(this.keySet ? JWKS_ALGORITHMS : []),
    ].filter((alg, i, all) => all.indexOf(alg) === i);
  }

  /**
   * The key to verify `token` with: the secret, or a public key.
   *
   * @throws UnusableTokenError for a malformed header or an algorithm no configured key serves;
   *   jose's errors when the key set cannot be fetched or has no matching key.
   */
  async keyFor(token: string): Promise<KeyObject> {
    let header: ProtectedHeaderParameters;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new UnusableTokenError('malformed token header');
    }
    const { alg } = header;
    if (alg === 'HS256' && this.secret) return this.secret;
    if (alg && alg === this.publicKey?.algorithm) return this.publicKey.key;
    if (alg && this.keySet && JWKS_ALGORITHMS.includes(alg)) return KeyObject.from(await this.keySet(header));
    throw new UnusableTokenError(`no key for algorithm ${String(alg)}`);
  }

  /** True for `JWT_SECRET`'s and `JWT_PUBLIC_KEY`'s keys, which stay the same while the process runs; false for a key set's. */
  isConfigured(key: KeyObject): boolean {
    return key === this.secret || key === this.publicKey?.key;
  }
}

function algorithmOf(key: KeyObject): string {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType === 'ec' && curve && EC_ALGORITHM[curve]) return EC_ALGORITHM[curve];
  throw new Error('JWT_PUBLIC_KEY must be an RSA or EC (P-256, P-384, P-521) public key');
}
