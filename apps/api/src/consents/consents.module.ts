import { Module } from '@nestjs/common';
import { ConsentHistoryHandler } from './consent-history.query';
import { ConsentStateHandler } from './consent-state.query';
import { ConsentsController } from './consents.controller';
import { ConsentsService } from './consents.service';
import { GateAudience } from './gate-audience';
import { RecordConsentHandler } from './record-consent.command';

@Module({
  controllers: [ConsentsController],
  providers: [
    ConsentsService,
    GateAudience,
    RecordConsentHandler,
    ConsentStateHandler,
    ConsentHistoryHandler,
  ],
})
export class ConsentsModule {}
