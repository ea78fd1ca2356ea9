import { Module } from '@nestjs/common';
import { IntegrityController } from './integrity.controller';
import { CheckpointsHandler, VerifyLogHandler } from './integrity.queries';

/** Tamper evidence over HTTP: verify the log, export the checkpoints. */
@Module({
  controllers: [IntegrityController],
  providers: [VerifyLogHandler, CheckpointsHandler],
})
export class IntegrityApiModule {}
