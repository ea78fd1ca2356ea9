import type { JsonObject } from '@custodian/domain';
import { EVENT_STORE, EventStore, readTypedStream } from '@custodian/event-store';
import {
  ANOMALY_RULES_STREAM,
  policyAt,
  ROLE_POLICY_STREAM,
  type AnomalyRulesPublished,
  type RolePolicy,
  type RolePolicyPublished,
} from '@custodian/policy';
import {
  accessHoursProjection,
  trendHoursProjection,
  actorReadsProjection,
  actorStatusProjection,
  auditReadsProjection,
  anomaliesProjection,
  anomalyCountersProjection,
  consentDailyProjection,
  consentReceiptsProjection,
  connectorLinksProjection,
  connectorsProjection,
  consentStateProjection,
  customerViewsProjection,
  customerViewsVersion,
  downstreamObligationsProjection,
  eventCountsProjection,
  exportsProjection,
  incidentsProjection,
  legalHoldsProjection,
  privacyRequestsProjection,
  ProjectionDefinition,
  ProjectionRunner,
  purposesProjection,
  redactionMappingsProjection,
  RuleHistory,
  shiftedAnomalyCountersProjection,
  subjectsProjection,
  subjectTimelineProjection,
  untyped,
} from '@custodian/projections';
import { READ_STORE, ReadStore } from '@custodian/read-store';
import {
  Global,
  Inject,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { CLOCK, type Clock } from '../clock/clock';
import { CUSTODIAN_CONFIG } from '../config/config.module';
import type { CustodianConfig } from '../config/custodian-config';
import { Lifecycle } from '../lifecycle/lifecycle';
import { ProjectionReader } from './projection-reader';

/**
 * Every projection the product runs; features add theirs here. The customer views follow the
 * role policy; the anomaly counters apply each event the rules in force when it happened.
 */
export function projectionDefinitions(
  policy: RolePolicy,
  rules: RuleHistory,
): readonly ProjectionDefinition<JsonObject>[] {
  return [
    untyped(eventCountsProjection),
    untyped(purposesProjection),
    untyped(consentStateProjection),
    untyped(consentReceiptsProjection),
    untyped(consentDailyProjection),
    untyped(downstreamObligationsProjection),
    untyped(subjectsProjection),
    untyped(customerViewsProjection(policy)),
    untyped(anomalyCountersProjection(rules)),
    untyped(shiftedAnomalyCountersProjection(rules)),
    untyped(anomaliesProjection),
    untyped(actorStatusProjection),
    untyped(actorReadsProjection),
    untyped(exportsProjection),
    untyped(incidentsProjection),
    untyped(auditReadsProjection),
    untyped(subjectTimelineProjection),
    untyped(privacyRequestsProjection),
    untyped(legalHoldsProjection),
    untyped(connectorsProjection),
    untyped(connectorLinksProjection),
    untyped(accessHoursProjection),
    untyped(trendHoursProjection),
    untyped(redactionMappingsProjection),
  ];
}

const POLICY_WATCH_MS = 1000;

/** The anomaly rule sets published so far, each with its position in the log. */
export async function anomalyRuleHistory(events: EventStore): Promise<RuleHistory> {
  const published = await readTypedStream<AnomalyRulesPublished>(events, ANOMALY_RULES_STREAM);
  return new RuleHistory(
    (a, b) => events.comparePositions(a, b),
    published.map((e) => {
      const { version, rules, workingHours } = e.data;
      return { ruleSet: { version, rules, workingHours }, position: e.position };
    }),
  );
}

/** The role policy in force now (the customer views follow it). */
export async function currentPolicy(events: EventStore, clock: Clock): Promise<RolePolicy> {
  return policyAt(
    await readTypedStream<RolePolicyPublished>(events, ROLE_POLICY_STREAM),
    clock.now(),
  );
}

/**
 * Provides the ProjectionRunner. It runs the projections when this process is the projector
 * (`apps/projector`, or the API in embedded mode); otherwise it only resolves collections.
 */
@Global()
@Module({
  providers: [
    {
      provide: ProjectionRunner,
      inject: [EVENT_STORE, READ_STORE, CUSTODIAN_CONFIG, CLOCK],
      useFactory: async (
        events: EventStore,
        reads: ReadStore,
        config: CustodianConfig,
        clock: Clock,
      ) => {
        const logger = new Logger('Projections');
        return new ProjectionRunner(
          events,
          reads,
          projectionDefinitions(
            await currentPolicy(events, clock),
            await anomalyRuleHistory(events),
          ),
          {
            batchSize: config.projectionBatchSize,
            lingerMs: config.projectionLingerMs,
            logger: { log: (m) => logger.log(m), error: (m) => logger.error(m) },
          },
        );
      },
    },
    ProjectionReader,
  ],
  exports: [ProjectionRunner, ProjectionReader],
})
export class ProjectionsModule implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ProjectionsModule.name);
  private started = false;
  private watcher: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;

  constructor(
    private readonly runner: ProjectionRunner,
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(CUSTODIAN_CONFIG) private readonly config: CustodianConfig,
    private readonly lifecycle: Lifecycle,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.projector !== 'in-process') return;
    // Resolves once every projection is running (catching up goes on after it).
    await this.lifecycle.step('projections: start', () => this.runner.start());
    this.started = true;
    this.logger.log(`running ${this.runner.status().length} projection(s) in this process`);
    // A new role-policy version, published by any process, rebuilds the customer views.
    this.watcher = setInterval(() => {
      this.checking ??= this.followPolicy()
        .catch((error: unknown) =>
          this.logger.error(`policy check failed: ${(error as Error).message}`),
        )
        .finally(() => (this.checking = undefined));
    }, POLICY_WATCH_MS);
    this.watcher.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.watcher) clearInterval(this.watcher);
    await this.lifecycle.step('projections: role-policy check', async () => this.checking);
    if (this.started) await this.lifecycle.step('projections: stop', () => this.runner.stop());
  }

  private async followPolicy(): Promise<void> {
    const policy = await currentPolicy(this.events, this.clock);
    const current = this.runner.definitionOf('customer_views');
    if (current && current.version !== customerViewsVersion(policy.version)) {
      this.logger.log(`role policy v${policy.version}: rebuilding the customer views`);
      await this.runner.replace(untyped(customerViewsProjection(policy)));
    }
  }
}
