import { isRole, roleMay, type Permission } from '@custodian/policy';
import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ActorRegistry, type RequestActor } from './actor-registry';
import { PUBLIC_ROUTE, REQUIRED_PERMISSION } from './auth.decorators';

/**
 * Authenticates every route not marked @Public with `Authorization: Bearer <API key>`, picks
 * the role (`X-Custodian-Role`, or the actor's first role), and checks the route's permission.
 * A route that declares no permission is refused: new routes are closed until they say who
 * may use them.
 */
@Injectable()
export class ActorGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly registry: ActorRegistry,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & { actor?: RequestActor }>();

    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer ([\x21-\x7e]{1,512})$/.exec(header) : null;
    if (!match) throw new UnauthorizedException('Authorization: Bearer <token> is required');
    const actor = this.registry.byApiKey(match[1]);
    if (!actor) throw new UnauthorizedException('the bearer token is not valid');

    const asked = request.headers['x-custodian-role'];
    let role = actor.roles[0];
    if (asked !== undefined) {
      if (typeof asked !== 'string' || !isRole(asked) || !actor.roles.includes(asked)) {
        throw new ForbiddenException(
          `actor "${actor.id}" does not hold the role named in X-Custodian-Role`,
        );
      }
      role = asked;
    }
    request.actor = { id: actor.id, role };

    const permission = this.reflector.getAllAndOverride<Permission | undefined>(
      REQUIRED_PERMISSION,
      targets,
    );
    if (!permission || !roleMay(role, permission)) {
      throw new ForbiddenException(`role "${role}" may not ${permission ?? 'use this route'}`);
    }
    return true;
  }
}
