import { requestId, type CustodianConfig } from '@custodian/platform';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { AppModule, type AppOptions } from './app.module';

/** Builds the API application (not yet listening); used by `main.ts` and the end-to-end tests. */
export async function createApi(
  config: CustodianConfig,
  options?: AppOptions,
): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, options),
    new FastifyAdapter({ bodyLimit: 2 * 1024 * 1024, genReqId: requestId }),
    { bufferLogs: true, abortOnError: false },
  );
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  return app;
}
