import type { Clock, CommandMeta, RequestActor } from '@custodian/platform';
import type { FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';

/**
 * Who and which request, and when (by the app's clock), for a command's event metadata. Each
 * command gets its own id, the causation of the events it appends; the request id correlates.
 */
export function commandMeta(
  clock: Clock,
  request: FastifyRequest,
  actor: RequestActor,
  idempotency?: { key: string | undefined; requestHash?: string },
): CommandMeta & { actor: RequestActor } {
  return {
    actor,
    requestId: String(request.id),
    causationId: randomUUID(),
    now: clock.now(),
    ...(idempotency?.key !== undefined
      ? { idempotencyKey: idempotency.key, requestHash: idempotency.requestHash }
      : {}),
  };
}
