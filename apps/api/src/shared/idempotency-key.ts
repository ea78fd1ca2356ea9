import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { badParam } from '@custodian/platform';
import { looksPersonal } from '@custodian/policy';
import type { FastifyRequest } from 'fastify';

const KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * The `Idempotency-Key` header, if sent: 1-255 visible ASCII characters that the operational-text
 * screen passes. The key is kept (hashed with its scope) in event metadata and derives a new
 * customer's id, so a key holding an email or a phone would leave a digest of it behind after
 * the customer's erasure: it is refused instead.
 */
export const IdempotencyKey = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): string | undefined =>
    idempotencyKeyOf(ctx.switchToHttp().getRequest<FastifyRequest>()),
);

/** The same, read from the request by a handler that takes `@Req()` (see `actorOf`). */
export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const value = request.headers['idempotency-key'];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !KEY.test(value)) {
    throw badParam('Idempotency-Key', 'must be 1-255 visible ASCII characters');
  }
  if (looksPersonal(value))
    throw badParam('Idempotency-Key', 'must not hold personal data (an email or a phone number)');
  return value;
}
