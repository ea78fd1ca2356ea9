import type { Clock, CommandMeta, RequestActor } from '@custodian/platform';
import type { FastifyRequest } from 'fastify';

/** Who and which request, and when (by the app's clock), for a command's event metadata. */
export function commandMeta(
  clock: Clock,
  request: FastifyRequest,
  actor: RequestActor,
  idempotency?: { key: string | undefined; request: unknown },
): CommandMeta {
  return {
    actor,
    requestId: String(request.id),
    now: clock.now(),
    ...(idempotency?.key !== undefined
      ? { idempotencyKey: idempotency.key, request: idempotency.request }
      : {}),
  };
}
