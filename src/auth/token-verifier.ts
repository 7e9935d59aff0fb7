import type { KeyObject } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { principalFrom, type Principal } from './principal.js';
import { TokenKeys, UnusableTokenError } from './token-keys.js';

/**
 * One definition of a valid bearer token: the keys ({@link TokenKeys}), the
 * algorithms they allow, `exp` (required), `nbf`, issuer and audience when
 * configured, each time check allowing `JWT_CLOCK_SKEW_SECONDS`, and claims
 * that describe a {@link Principal}. The API's passport strategy and the queue
 * dashboard both check tokens through it.
 */
@Injectable()
export class TokenVerifier {
  private readonly logger = new Logger('Auth');
  readonly keys: TokenKeys;
  readonly options: jwt.VerifyOptions & { algorithms: jwt.Algorithm[] };

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
    try {
      const claims = jwt.verify(token, await this.keyFor(token), this.options);
      return typeof claims === 'object' ? principalFrom(claims as jwt.JwtPayload) : undefined;
    } catch {
      return undefined;
    }
  }
}
