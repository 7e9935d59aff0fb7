import type { KeyObject } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import type { Principal } from './principal.js';
import { TokenVerifier } from './token-verifier.js';

/** Where the strategy leaves the key a request's token was checked with, for validate(). */
const TOKEN_KEY = Symbol('tokenKey');
type KeyedRequest = { [TOKEN_KEY]?: KeyObject };

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
      secretOrKeyProvider: (request: KeyedRequest, token: string, done: (error: unknown, key?: string) => void) => {
        verifier.keyFor(token).then((key) => {
          request[TOKEN_KEY] = key;
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
  validate(request: KeyedRequest & { headers: { authorization?: string } }, claims: Record<string, unknown>): Principal | false {
    const token = ExtractJwt.fromAuthHeaderAsBearerToken()(request as never);
    return (token && this.verifier.accept(token, claims, request[TOKEN_KEY]!)) || false;
  }
}
