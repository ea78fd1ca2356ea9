import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { CustodianConfig } from '../config/custodian-config';

/**
 * Structured JSON logs. Request lines carry method, path (never the query string, which can
 * hold a looked-up email or phone), status and timing, and never headers (API keys, tokens).
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
              req: (req: { id: unknown; method: string; url: string }) => ({
                id: req.id,
                method: req.method,
                path: req.url.split('?')[0],
              }),
              res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
            },
          },
        }),
      ],
    };
  }
}

/** The caller's X-Request-Id when it is a sane token, else a fresh UUID. */
export function requestId(req: { headers: IncomingHttpHeaders }): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(given) ? given : randomUUID();
}
