import type { CommandMeta, RequestActor } from '@custodian/platform';
import type { FastifyRequest } from 'fastify';

/** Who and which request, for a command's event metadata. */
export function commandMeta(
  request: FastifyRequest,
  actor: RequestActor,
  idempotency?: { key: string | undefined; request: unknown },
): CommandMeta {
  return {
    actor,
    requestId: String(request.id),
    now: new Date(),
    ...(idempotency?.key !== undefined
      ? { idempotencyKey: idempotency.key, request: idempotency.request }
      : {}),
  };
}
