import { Module } from '@nestjs/common';
import { ActorsService } from './actors.service';
import { AddIncidentNoteHandler } from './add-incident-note.command';
import { AnomaliesService } from './anomalies.service';
import { AssessIncidentRiskHandler } from './assess-incident-risk.command';
import { CloseIncidentHandler } from './close-incident.command';
import { IncidentsService } from './incidents.service';
import { OpenIncidentHandler } from './open-incident.command';
import { OversightController } from './oversight.controller';
import { PublishAnomalyRulesHandler } from './publish-anomaly-rules.command';
import { RecordIncidentNotificationHandler } from './record-incident-notification.command';
import { ReinstateActorHandler } from './reinstate-actor.command';
import { SuspendActorHandler } from './suspend-actor.command';

/** Anomalies, rules, containment and incidents over HTTP. */
@Module({
  controllers: [OversightController],
  providers: [
    AnomaliesService,
    ActorsService,
    IncidentsService,
    PublishAnomalyRulesHandler,
    SuspendActorHandler,
    ReinstateActorHandler,
    OpenIncidentHandler,
    AddIncidentNoteHandler,
    AssessIncidentRiskHandler,
    RecordIncidentNotificationHandler,
    CloseIncidentHandler,
  ],
})
export class OversightApiModule {}
