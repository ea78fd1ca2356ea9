import { Module } from '@nestjs/common';
import { ExportSelection } from './export-selection';
import { ExportsController } from './exports.controller';
import { ExportsService } from './exports.service';

@Module({
  controllers: [ExportsController],
  providers: [ExportSelection, ExportsService],
  exports: [ExportsService],
})
export class ExportsModule {}
