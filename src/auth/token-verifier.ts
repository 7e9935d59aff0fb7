import type { KeyObject } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { principalFrom, type Principal } from './principal.js';
import { TokenKeys, UnusableTokenError } from './token-keys.js';

/** Most verified tokens remembered at once; the oldest is forgotten first. */
const REMEMBERED_TOKENS = 10_000;

/**
 * One definition of a valid bearer token: the keys ({@link TokenKeys}), the
 * algorithms they allow, `exp` (required), `nbf`, issuer and audience when
 * configured, each time check allowing `JWT_CLOCK_SKEW_SECONDS`, and claims
 * that describe a {@link Principal}. The API's guard and the queue dashboard
 * both check tokens through it.
 *
 * A client sends the same token with every request until it expires, so a
 * token verified with `JWT_SECRET` or `JWT_PUBLIC_KEY` is remembered, by its
 * whole text (signature included), until its `exp`: the next request with it
 * skips the signature check (in bench/upload, auth was 3-4 % of the API's
 * main thread). Those keys cannot change while the process runs. A token
 * verified with a key from `JWT_JWKS_URL` is checked every time, since the
 * issuer may withdraw its key.
 */
@Injectable()
export class TokenVerifier {
  private readonly logger = new Logger('Auth');
  readonly keys: TokenKeys;
  readonly options: jwt.VerifyOptions & { algorithms: jwt.Algorithm[] };
  /** Verified tokens with the time (ms) their `exp` ends them; in insertion order. */
  private readonly verified = new Map<string, { principal: Principal; expiresAt: number }>();

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.keys = new TokenKeys(config.auth);
    this.options = {
      algorithms: this.keys.algorithms as jwt.Algorithm[],
      issuer: config.auth.issuer,
      audience: config.auth.audience,
      clockTolerance: config.auth.clockSkewSeconds,
    };
  }

  /** The key for `token`, logging when a key set cannot be fetched (ours to fix, not the client's). */
  async keyFor(token: string): Promise<KeyObject> {
    return this.keys.keyFor(token).catch((error: unknown) => {
      if (!(error instanceof UnusableTokenError)) this.logger.warn(`token key unavailable: ${(error as Error).message}`);
      throw error;
    });
  }

  /** The principal of a valid token, undefined for any other. */
  async verify(token: string): Promise<Principal | undefined> {
    const known = this.recall(token);
    if (known) return known;
    try {
      const key = await this.keyFor(token);
      const claims = jwt.verify(token, key, this.options) as string | jwt.JwtPayload;
      return typeof claims === 'object' ? this.accept(token, claims, key) : undefined;
    } catch {
      return undefined;
    }
  }

  /** The principal of a token verified before and not yet expired. */
  recall(token: string): Principal | undefined {
    const known = this.verified.get(token);
    if (known && Date.now() < known.expiresAt) return known.principal;
    if (known) this.verified.delete(token);
    return undefined;
  }

  /**
   * The principal of a token whose signature and times were just checked with
   * `key`, remembered when the key is one of the configured ones; undefined
   * when its claims describe no principal.
   */
  accept(token: string, claims: Record<string, unknown>, key: KeyObject): Principal | undefined {
    const principal = principalFrom(claims);
    // principalFrom requires a numeric exp.
    if (principal && this.keys.isConfigured(key)) this.remember(token, principal, claims.exp as number);
    return principal;
  }

  /**
   * Until `exp` without the clock skew allowance, so a remembered token is
   * never accepted later than a checked one would be.
   */
  private remember(token: string, principal: Principal, exp: number): void {
    if (exp * 1000 <= Date.now()) return; // accepted within the clock skew: nothing to remember
    if (this.verified.size >= REMEMBERED_TOKENS) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, { principal, expiresAt: exp * 1000 });
  }
}
