import type { Role } from '@custodian/policy';
import { Inject, Injectable, Optional, UnauthorizedException } from '@nestjs/common';
import { ActorRegistry } from './actor-registry';
import { InvalidTokenError, JwtVerifier, looksLikeJwt } from './jwt-verifier';

export const JWT_VERIFIER = Symbol.for('custodian.JwtVerifier');

/**
 * Who a bearer token is: people present JWTs (when configured), key actors their API keys. A
 * token's subject must be a person in the actors file (never a key actor), and its roles count
 * only as far as the file grants them too. Used by the guard on every route and by the
 * compliance console's sign-in, which exchanges the same token for a session.
 */
@Injectable()
export class ActorAuthenticator {
  constructor(
    private readonly registry: ActorRegistry,
    @Optional() @Inject(JWT_VERIFIER) private readonly jwt: JwtVerifier | null,
  ) {}

  /** Whether `authenticate` treats the token as a JWT (JWTs configured and it is shaped like one). */
  goesTheJwtWay(token: string): boolean {
    return Boolean(this.jwt) && looksLikeJwt(token);
  }

  async authenticate(token: string): Promise<{ id: string; roles: Role[] }> {
    if (this.jwt && looksLikeJwt(token)) {
      let claimed: { id: string; roles: Role[] };
      try {
        claimed = await this.jwt.verify(token);
      } catch (error) {
        throw new UnauthorizedException(
          error instanceof InvalidTokenError ? error.message : 'the bearer token is not valid',
        );
      }
      const person = this.registry.person(claimed.id);
      if (!person)
        throw new UnauthorizedException(
          'the bearer token\'s subject is not a person registered in the actors file (kind "person")',
        );
      return { id: person.id, roles: claimed.roles.filter((role) => person.roles.includes(role)) };
    }
    const actor = this.registry.byApiKey(token);
    if (!actor) throw new UnauthorizedException('the bearer token is not valid');
    return actor;
  }
}
