import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { STATUS_CODES } from 'node:http';

/** The error body every route answers with: `{ statusCode, error, message, details? }`. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  /** Each field at fault, with what is wrong with it. */
  details?: Array<{ field: string; problem: string }>;
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
    if (exception instanceof HttpException) {
      const statusCode = exception.getStatus();
      const response = exception.getResponse();
      const base = { statusCode, error: STATUS_CODES[statusCode] ?? 'Error' };
      if (typeof response === 'string') return { ...base, message: response };
      const r = response as Partial<ErrorBody> & { message?: string | string[] };
      const message = Array.isArray(r.message)
        ? r.message.join('; ')
        : (r.message ?? exception.message);
      return {
        ...base,
        error: r.error ?? base.error,
        message,
        ...(r.details ? { details: r.details } : {}),
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
