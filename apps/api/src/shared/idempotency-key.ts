import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { badParam } from '@custodian/platform';
import type { FastifyRequest } from 'fastify';

const KEY = /^[\x21-\x7e]{1,255}$/;

/** The `Idempotency-Key` header, if sent: 1-255 visible ASCII characters. */
export const IdempotencyKey = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): string | undefined => {
    const value = ctx.switchToHttp().getRequest<FastifyRequest>().headers['idempotency-key'];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !KEY.test(value)) {
      throw badParam('Idempotency-Key', 'must be 1-255 visible ASCII characters');
    }
    return value;
  },
);
