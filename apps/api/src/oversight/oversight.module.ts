import { Module } from '@nestjs/common';
import { ActorsService } from './actors.service';
import { AnomaliesService } from './anomalies.service';
import { IncidentsService } from './incidents.service';
import { OversightController } from './oversight.controller';

/** Anomalies, rules, containment and incidents over HTTP. */
@Module({
  controllers: [OversightController],
  providers: [AnomaliesService, ActorsService, IncidentsService],
  exports: [AnomaliesService],
})
export class OversightApiModule {}
