import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { ConsentsModule } from '../consents/consents.module';
import { PurposesModule } from '../purposes/purposes.module';
import { SubjectsController } from './subjects.controller';
import { SubjectsService } from './subjects.service';

@Module({
  imports: [PurposesModule, ConsentsModule, AccessModule],
  controllers: [SubjectsController],
  providers: [SubjectsService],
  exports: [SubjectsService],
})
export class SubjectsModule {}
