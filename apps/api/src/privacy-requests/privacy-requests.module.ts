import { Module } from '@nestjs/common';
import { ActOnPrivacyRequestHandler, OpenPrivacyRequestHandler } from './privacy-request.commands';
import { PrivacyRequestsController } from './privacy-requests.controller';
import { PrivacyRequestsService } from './privacy-requests.service';

/** Privacy requests (data subjects' requests as cases) over HTTP. */
@Module({
  controllers: [PrivacyRequestsController],
  providers: [PrivacyRequestsService, OpenPrivacyRequestHandler, ActOnPrivacyRequestHandler],
  exports: [PrivacyRequestsService],
})
export class PrivacyRequestsModule {}
