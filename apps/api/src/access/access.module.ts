import { Module } from '@nestjs/common';
import { PurposesModule } from '../purposes/purposes.module';
import { AccessController } from './access.controller';
import { AccessService } from './access.service';

@Module({
  imports: [PurposesModule],
  controllers: [AccessController],
  providers: [AccessService],
  exports: [AccessService],
})
export class AccessModule {}
