import { Module } from '@nestjs/common';
import { ActivatePurposeHandler } from './activate-purpose.command';
import { AllPurposesHandler } from './all-purposes.query';
import { CurrentPurposeHandler } from './current-purpose.query';
import { PublishNoticeHandler } from './publish-notice.command';
import { PurposeHistoryHandler } from './purpose-history.query';
import { PurposesController } from './purposes.controller';
import { PurposesService } from './purposes.service';
import { RegisterPurposeHandler } from './register-purpose.command';
import { RetirePurposeHandler } from './retire-purpose.command';

/** Purposes: their commands, and the queries other features ask about them. */
@Module({
  controllers: [PurposesController],
  providers: [
    PurposesService,
    RegisterPurposeHandler,
    PublishNoticeHandler,
    ActivatePurposeHandler,
    RetirePurposeHandler,
    CurrentPurposeHandler,
    AllPurposesHandler,
    PurposeHistoryHandler,
  ],
})
export class PurposesModule {}
