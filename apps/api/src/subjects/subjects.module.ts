import { Module } from '@nestjs/common';
import { ConsentsModule } from '../consents/consents.module';
import { PurposesModule } from '../purposes/purposes.module';
import { SubjectsController } from './subjects.controller';
import { SubjectsService } from './subjects.service';

@Module({
  imports: [PurposesModule, ConsentsModule],
  controllers: [SubjectsController],
  providers: [SubjectsService],
})
export class SubjectsModule {}
