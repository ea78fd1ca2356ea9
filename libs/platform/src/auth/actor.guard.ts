import { CONNECTOR_KEY_PERMISSIONS, isRole, roleMay, type Permission } from '@custodian/policy';
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
import { ActorAuthenticator } from './actor-authenticator';
import { SuspensionRegistry } from '../oversight/suspension-registry';
import { ConnectorKeys } from '../connectors/connector-keys';

/**
 * Authenticates every route not marked @Public with `Authorization: Bearer <API key or JWT>`, picks
 * the role (`X-Custodian-Role`, or the actor's first role), and checks the route's permission.
 * A route that declares no permission is refused: new routes are closed until they say who
 * may use them. A suspended actor is refused every route.
 */
@Injectable()
export class ActorGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly registry: ActorRegistry,
    private readonly authenticator: ActorAuthenticator,
    private readonly suspensions: SuspensionRegistry,
    private readonly connectors: ConnectorKeys,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & { actor?: RequestActor }>();

    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer ([\x21-\x7e]{1,4096})$/.exec(header) : null;
    if (!match) throw new UnauthorizedException('Authorization: Bearer <token> is required');
    const permission = this.reflector.getAllAndOverride<Permission | undefined>(
      REQUIRED_PERMISSION,
      targets,
    );
    // One SHA-256 of the key per request: the key actor found here is the one `authenticate`
    // would find (a token shaped like a JWT still goes the JWT way when JWTs are configured).
    const keyActor = this.registry.byApiKey(match[1]);
    if (!keyActor) {
      const connector = this.connectors.byApiKey(match[1]);
      if (connector) return this.admitConnector(request, connector, permission);
    }
    const actor =
      keyActor && !this.authenticator.goesTheJwtWay(match[1])
        ? keyActor
        : await this.authenticator.authenticate(match[1]);
    if (actor.roles.length === 0) throw new ForbiddenException(`actor "${actor.id}" holds no role`);
    // A suspended actor (or integration key) is refused everything until a DPO reinstates it.
    const suspension = this.suspensions.check(actor.id);
    if (suspension) {
      throw new ForbiddenException({
        message: `actor "${actor.id}" is suspended since ${suspension.since}; a DPO must reinstate them`,
        details: [{ field: 'Authorization', problem: 'actor_suspended' }],
      });
    }

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

    if (!permission || !roleMay(role, permission)) {
      throw new ForbiddenException(`role "${role}" may not ${permission ?? 'use this route'}`);
    }
    return true;
  }

  /**
   * A connector's own key: its feed and its acknowledgements only, and nothing at all while the
   * connector is suspended (containment).
   */
  private admitConnector(
    request: FastifyRequest & { actor?: RequestActor },
    connector: { connectorId: string; suspended: boolean },
    permission: Permission | undefined,
  ): boolean {
    if (connector.suspended)
      throw new ForbiddenException({
        message: `connector "${connector.connectorId}" is suspended; a DPO or admin must reinstate it`,
        details: [{ field: 'Authorization', problem: 'connector_suspended' }],
      });
    if (!permission || !CONNECTOR_KEY_PERMISSIONS.has(permission))
      throw new ForbiddenException(
        `a connector's key may only read its feed and acknowledge, not ${permission ?? 'use this route'}`,
      );
    request.actor = {
      id: `connector:${connector.connectorId}`,
      role: 'service',
      connectorId: connector.connectorId,
    };
    return true;
  }
}
