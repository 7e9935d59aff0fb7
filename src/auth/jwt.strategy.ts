import { Inject, Injectable, Logger } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { principalFrom, type Principal } from './principal.js';
import { TokenKeys, UnusableTokenError } from './token-keys.js';

/**
 * Verifies `Authorization: Bearer <JWT>` against the configured keys (see
 * {@link TokenKeys}): signature, `exp` (required), `nbf`, issuer and audience
 * when configured, each time check allowing `JWT_CLOCK_SKEW_SECONDS`.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  private static readonly logger = new Logger('Auth');

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const keys = new TokenKeys(config.auth);
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKeyProvider: (_request: unknown, token: string, done: (error: unknown, key?: string) => void) => {
        keys.keyFor(token).then(
          (key) => done(null, key),
          (error: unknown) => {
            // A token we cannot use is the client's problem; a key set we cannot fetch is ours.
            if (!(error instanceof UnusableTokenError)) JwtStrategy.logger.warn(`token key unavailable: ${(error as Error).message}`);
            done(error);
          },
        );
      },
      algorithms: keys.algorithms as never,
      issuer: config.auth.issuer,
      audience: config.auth.audience,
      ignoreExpiration: false,
      jsonWebTokenOptions: { clockTolerance: config.auth.clockSkewSeconds },
    });
  }

  /** Returning false rejects the token. */
  validate(payload: Record<string, unknown>): Principal | false {
    return principalFrom(payload) ?? false;
  }
}
