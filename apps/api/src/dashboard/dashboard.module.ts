import { Module } from '@nestjs/common';
import { PurposesModule } from '../purposes/purposes.module';
import { DashboardController } from './dashboard.controller';

@Module({ imports: [PurposesModule], controllers: [DashboardController] })
export class DashboardModule {}
