import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import { DomainError, type DomainErrorKind } from '@custodian/domain';
import { InvalidEventStoreInputError, WrongExpectedRevisionError } from '@custodian/event-store';
import { InvalidReadStoreInputError } from '@custodian/read-store';
import type { FastifyReply } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { BodyRefusedError } from './request-bodies';

const DOMAIN_STATUS: Record<DomainErrorKind, number> = {
  invalid: 400,
  not_found: 404,
  conflict: 409,
  forbidden: 403,
  gone: 410,
  precondition: 412,
};

/** The error body every route answers with: `{ statusCode, error, message, details? }`. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  /** Each field at fault, with what is wrong with it. */
  details?: Array<{ field: string; problem: string }>;
  /** The record a 409 is about, when the caller may know it (a duplicate customer). */
  subjectId?: string;
}

/**
 * One error shape for the whole API. Anything a caller sent that Fastify or Nest rejects keeps
 * its 4xx; anything unexpected is a 500 whose body says nothing about the cause (the log does,
 * by error class and message, which never hold personal values).
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const body = this.toBody(exception);
    if (body.statusCode >= 500) {
      const error = exception instanceof Error ? exception : new Error(String(exception));
      this.logger.error(`${error.name}: ${error.message}`, error.stack);
    }
    void reply.status(body.statusCode).send(body);
  }

  private toBody(exception: unknown): ErrorBody {
    if (exception instanceof DomainError) {
      const statusCode = DOMAIN_STATUS[exception.kind];
      return {
        statusCode,
        error: STATUS_CODES[statusCode] ?? 'Error',
        message: exception.message,
        ...(exception.field
          ? { details: [{ field: exception.field, problem: exception.message }] }
          : {}),
      };
    }
    if (exception instanceof WrongExpectedRevisionError) {
      return {
        statusCode: 409,
        error: 'Conflict',
        message: 'the record changed concurrently; retry',
      };
    }
    if (
      exception instanceof InvalidEventStoreInputError ||
      exception instanceof InvalidReadStoreInputError
    ) {
      return {
        statusCode: 400,
        error: 'Bad Request',
        message: exception.message,
        details: [{ field: exception.field, problem: exception.message }],
      };
    }
    if (exception instanceof BodyRefusedError) {
      return {
        statusCode: exception.statusCode,
        error: STATUS_CODES[exception.statusCode] ?? 'Error',
        message: exception.message,
        details: [{ field: exception.field, problem: exception.problem }],
      };
    }
    if (exception instanceof HttpException) {
      const statusCode = exception.getStatus();
      const response = exception.getResponse();
      const base = { statusCode, error: STATUS_CODES[statusCode] ?? 'Error' };
      if (typeof response === 'string') return { ...base, message: response };
      const r = response as Partial<ErrorBody> & { message?: string | string[] };
      let message = Array.isArray(r.message)
        ? r.message.join('; ')
        : (r.message ?? exception.message);
      // Nest's router answers an unknown path with "Cannot GET <path>"; a path may hold an
      // email or a phone, so the answer names the method only (the log names no path either).
      const unrouted = statusCode === 404 ? /^Cannot ([A-Z]+) \//.exec(message) : null;
      if (unrouted) message = `no route matches this ${unrouted[1]} request`;
      return {
        ...base,
        error: r.error ?? base.error,
        message,
        ...(r.details ? { details: r.details } : {}),
        ...(typeof r.subjectId === 'string' ? { subjectId: r.subjectId } : {}),
      };
    }
    // Fastify's own client errors (malformed JSON, wrong content type, body too large).
    const status = (exception as { statusCode?: unknown })?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return {
        statusCode: status,
        error: STATUS_CODES[status] ?? 'Error',
        message: exception instanceof Error ? exception.message : 'Bad request',
      };
    }
    return {
      statusCode: HttpStatus.INTERNAL_SERVER_ERROR,
      error: 'Internal Server Error',
      message: 'Internal server error',
    };
  }
}
