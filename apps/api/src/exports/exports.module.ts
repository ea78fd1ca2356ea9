import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { PurposesModule } from '../purposes/purposes.module';
import { SubjectsModule } from '../subjects/subjects.module';
import { ExportSelection } from './export-selection';
import { ExportsController } from './exports.controller';
import { ExportsService } from './exports.service';

@Module({
  imports: [PurposesModule, AccessModule, SubjectsModule],
  controllers: [ExportsController],
  providers: [ExportSelection, ExportsService],
  exports: [ExportsService],
})
export class ExportsModule {}
