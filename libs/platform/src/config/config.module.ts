import { DynamicModule, Global, Module } from '@nestjs/common';
import type { CustodianConfig } from './custodian-config';

export const CUSTODIAN_CONFIG = Symbol.for('custodian.Config');

/** Makes the start-up configuration injectable everywhere. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: CustodianConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: CUSTODIAN_CONFIG, useValue: config }],
      exports: [CUSTODIAN_CONFIG],
    };
  }
}
