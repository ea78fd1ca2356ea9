import { Module } from '@nestjs/common';
import { TimelineController } from './timeline.controller';
import { TimelineHandler } from './timeline.query';

/** A customer's timeline, for DPOs and admins. */
@Module({
  controllers: [TimelineController],
  providers: [TimelineHandler],
})
export class TimelineModule {}
