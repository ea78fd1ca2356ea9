import type { Permission } from '@custodian/policy';
import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { RequestActor } from './actor-registry';

export const PUBLIC_ROUTE = 'custodian:public';
export const REQUIRED_PERMISSION = 'custodian:permission';

/** No authentication: health, metrics, docs. */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/** The permission (see libs/policy) a caller's role needs for this route. */
export const RequirePermission = (permission: Permission) =>
  SetMetadata(REQUIRED_PERMISSION, permission);

/** The authenticated caller, set by the ActorGuard. */
export const CurrentActor = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): RequestActor => actorOf(ctx.switchToHttp().getRequest()),
);

/**
 * The authenticated caller of a request the ActorGuard let through. The hottest routes read it
 * from `@Req()` with this instead of `@CurrentActor()`: Nest runs every custom-decorator
 * parameter through the global pipes (a chain of promises per parameter, each one paid again in
 * the promise hooks that request-scoped logging turns on).
 */
export function actorOf(request: object): RequestActor {
  return (request as { actor: RequestActor }).actor;
}
