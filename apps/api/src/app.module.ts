import {
  ConfigModule,
  CustodianConfig,
  HealthModule,
  HttpErrorFilter,
  LoggingModule,
  ProjectionsModule,
  StorageModule,
} from '@custodian/platform';
import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';

@Module({})
export class AppModule {
  static forRoot(config: CustodianConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(config),
        StorageModule,
        ProjectionsModule,
        HealthModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: HttpErrorFilter }],
    };
  }
}
