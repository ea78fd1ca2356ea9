import { isSafeRequestId } from '@custodian/policy';
import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import pino, { type Logger } from 'pino';
import type { IncomingHttpHeaders } from 'node:http';
import type { CustodianConfig } from '../config/custodian-config';

const rootLoggers = new WeakMap<CustodianConfig, Logger>();

/**
 * The process's one pino logger for this configuration (level, and the log file or stdout): the
 * Nest logger writes through it, and so do the request lines (`logRequests`, request-log.ts).
 */
export function rootLogger(config: CustodianConfig): Logger {
  let logger = rootLoggers.get(config);
  if (!logger) {
    logger = pino(
      { level: config.logLevel },
      config.logFile
        ? pino.destination({ dest: config.logFile, mkdir: true, sync: true })
        : undefined,
    );
    rootLoggers.set(config, logger);
  }
  return logger;
}

/**
 * Structured JSON logs. Request lines carry the request id, method, the matched route's pattern
 * (`/v1/subjects/:subjectId/view`, or `(no route)`: never the path asked for, which can hold an
 * email, nor the query string), status and timing, and never headers (API keys, tokens). They are
 * written by a Fastify hook (`logRequests`, request-log.ts), not by pino-http's middleware: no
 * child logger per request and no AsyncLocalStorage, whose promise hooks cost every promise in
 * the process (~0.2 ms of CPU per consent grant on Node 20). So nestjs-pino binds no request
 * logger (`forRoutes: []`): lines the application logs during a request do not carry the
 * request's id; the request line does.
 */
@Module({})
export class LoggingModule {
  static forRoot(config: CustodianConfig): DynamicModule {
    return {
      module: LoggingModule,
      imports: [LoggerModule.forRoot({ pinoHttp: { logger: rootLogger(config) }, forRoutes: [] })],
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
