import { DynamicModule, Global, Module } from '@nestjs/common';
import { CLOCK, systemClock, type Clock } from '../clock/clock';
import type { CustodianConfig } from './custodian-config';

export const CUSTODIAN_CONFIG = Symbol.for('custodian.Config');

/** Makes the start-up configuration, and the clock the app reads time from, injectable everywhere. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: CustodianConfig, clock: Clock = systemClock): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        { provide: CUSTODIAN_CONFIG, useValue: config },
        { provide: CLOCK, useValue: clock },
      ],
      exports: [CUSTODIAN_CONFIG, CLOCK],
    };
  }
}
