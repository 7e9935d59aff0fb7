import type { KeyObject } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import type { Principal } from './principal.js';
import { TokenVerifier } from './token-verifier.js';

/** Where the strategy leaves a request's token and the key it was checked with, for validate(). */
const CHECKED = Symbol('checkedToken');
type CheckedRequest = { [CHECKED]?: { token: string; key: KeyObject } };

/**
 * Verifies `Authorization: Bearer <JWT>` as {@link TokenVerifier} defines a
 * valid token. The guard asks it only for a token it has not seen verified
 * (see {@link TokenVerifier.recall}); validate() hands a valid one to the
 * verifier to remember.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(private readonly verifier: TokenVerifier) {
    const { algorithms, issuer, audience, ...jsonWebTokenOptions } = verifier.options;
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // passport-jwt hands the key to jsonwebtoken, which takes a KeyObject;
      // its typings only admit strings and buffers.
      secretOrKeyProvider: (request: CheckedRequest, token: string, done: (error: unknown, key?: string) => void) => {
        verifier.keyFor(token).then((key) => {
          request[CHECKED] = { token, key };
          done(null, key as unknown as string);
        }, done);
      },
      passReqToCallback: true,
      algorithms,
      issuer: issuer as string | undefined,
      audience: audience as string | undefined,
      ignoreExpiration: false,
      jsonWebTokenOptions,
    });
  }

  /** Returning false rejects the token. */
  validate(request: CheckedRequest, claims: Record<string, unknown>): Principal | false {
    const { token, key } = request[CHECKED]!;
    return this.verifier.accept(token, claims, key) ?? false;
  }
}
