import { Global, Logger, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { CUSTODIAN_CONFIG } from '../config/config.module';
import type { CustodianConfig } from '../config/custodian-config';
import { ActorRegistry } from './actor-registry';
import { ensureEmbeddedActorsFile, loadActors } from './actors-file';
import { ActorsFileWatcher } from './actors-file-watcher';
import { ActorAuthenticator, JWT_VERIFIER } from './actor-authenticator';
import { ActorGuard } from './actor.guard';
import { JwtVerifier } from './jwt-verifier';

@Global()
@Module({
  providers: [
    {
      provide: ActorRegistry,
      inject: [CUSTODIAN_CONFIG],
      useFactory: (config: CustodianConfig) => {
        if (
          config.actorsFileIsDefault &&
          config.eventStore.kind === 'sqlite' &&
          ensureEmbeddedActorsFile(config.actorsFile)
        ) {
          new Logger('Auth').warn(
            `created ${config.actorsFile} with one admin actor (roles admin, dpo); its API key is in that file`,
          );
        }
        return new ActorRegistry(loadActors(config.actorsFile));
      },
    },
    {
      provide: JWT_VERIFIER,
      inject: [CUSTODIAN_CONFIG],
      useFactory: (config: CustodianConfig) => (config.jwt ? JwtVerifier.create(config.jwt) : null),
    },
    ActorAuthenticator,
    { provide: APP_GUARD, useClass: ActorGuard },
    ActorsFileWatcher,
  ],
  exports: [ActorRegistry, ActorAuthenticator],
})
export class AuthModule {}
