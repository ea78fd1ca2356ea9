import { Module } from '@nestjs/common';
import { AcknowledgeHandler } from './acknowledge.command';
import { DownstreamOfEventHandler } from './downstream-of-event.query';
import { DownstreamController } from './downstream.controller';
import { DownstreamService } from './downstream.service';

/** Erasures and withdrawals tracked to every connector that holds the customer's data. */
@Module({
  controllers: [DownstreamController],
  providers: [DownstreamService, AcknowledgeHandler, DownstreamOfEventHandler],
})
export class DownstreamModule {}
