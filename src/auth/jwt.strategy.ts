import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { principalFrom, type Principal } from './principal.js';
import { TokenVerifier } from './token-verifier.js';

/** Verifies `Authorization: Bearer <JWT>` as {@link TokenVerifier} defines a valid token. */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(verifier: TokenVerifier) {
    const { algorithms, issuer, audience, ...jsonWebTokenOptions } = verifier.options;
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // passport-jwt hands the key to jsonwebtoken, which takes a KeyObject;
      // its typings only admit strings and buffers.
      secretOrKeyProvider: (_request: unknown, token: string, done: (error: unknown, key?: string) => void) => {
        verifier.keyFor(token).then((key) => done(null, key as unknown as string), done);
      },
      algorithms,
      issuer: issuer as string | undefined,
      audience: audience as string | undefined,
      ignoreExpiration: false,
      jsonWebTokenOptions,
    });
  }

  /** Returning false rejects the token. */
  validate(payload: Record<string, unknown>): Principal | false {
    return principalFrom(payload) ?? false;
  }
}
