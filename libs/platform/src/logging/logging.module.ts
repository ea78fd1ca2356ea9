import { isSafeRequestId } from '@custodian/policy';
import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { CustodianConfig } from '../config/custodian-config';
import { routePatternOf } from './request-tracing';

/**
 * Structured JSON logs. Request lines carry the request id, method, the matched route's pattern
 * (`/v1/subjects/:subjectId/view`, or `(no route)`: never the path asked for, which can hold an
 * email, nor the query string), status and timing, and never headers (API keys, tokens). The
 * pattern is put on the request by `traceRequests` (request-tracing.ts).
 */
@Module({})
export class LoggingModule {
  static forRoot(config: CustodianConfig): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.logLevel,
            ...(config.logFile
              ? { stream: pino.destination({ dest: config.logFile, mkdir: true, sync: true }) }
              : {}),
            genReqId: (req: IncomingMessage & { id?: unknown }) =>
              typeof req.id === 'string' ? req.id : requestId(req),
            serializers: {
              req: (req: { id: unknown; method: string; raw?: IncomingMessage }) => ({
                id: req.id,
                method: req.method,
                route: routePatternOf(req.raw),
              }),
              res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
            },
          },
        }),
      ],
    };
  }
}

/**
 * The caller's X-Request-Id when it is a UUID, a ULID or a short token the personal-data screen
 * does not flag (`isSafeRequestId`), else a fresh UUID: the request goes on either way, and the
 * id used is echoed in the response and stored in event metadata as the correlation id.
 */
export function requestId(req: { headers: IncomingHttpHeaders }): string {
  const given = req.headers['x-request-id'];
  return isSafeRequestId(given) ? given : randomUUID();
}
