import {
  ConfigModule,
  CustodianConfig,
  LoggingModule,
  ProjectionsModule,
  StorageModule,
  VaultModule,
} from '@custodian/platform';
import { DynamicModule, Module } from '@nestjs/common';

/** The projector alone: stores and projections, no HTTP. */
@Module({})
export class ProjectorModule {
  static forRoot(config: CustodianConfig): DynamicModule {
    return {
      module: ProjectorModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(config),
        StorageModule,
        VaultModule,
        ProjectionsModule,
      ],
    };
  }
}
