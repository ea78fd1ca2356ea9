import { Module } from '@nestjs/common';
import { InsightsController, RedactionsController } from './ai.controller';
import { AiTransparencyHandler, RedactionHandler, SubjectInsightsHandler } from './ai.queries';
import { RecordInsightHandler } from './record-insight.command';
import { RedactTextHandler } from './redact-text.command';
import { RestoreTextHandler } from './restore-text.command';

/** AI processing (issue 17): redaction and restore, insights, AI transparency. */
@Module({
  controllers: [RedactionsController, InsightsController],
  providers: [
    RedactTextHandler,
    RestoreTextHandler,
    RecordInsightHandler,
    RedactionHandler,
    SubjectInsightsHandler,
    AiTransparencyHandler,
  ],
})
export class AiModule {}
