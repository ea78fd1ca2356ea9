import { gone, insightField, INSIGHTS_FIELD, SUBJECT_ACCESS_PURPOSE } from '@custodian/domain';
import { AccessRecorder, ActorLimits, FieldVault, type CommandMeta } from '@custodian/platform';
import { Command, CommandHandler, QueryBus, type ICommandHandler } from '@nestjs/cqrs';
import { AccessLogQuery } from '../access/access-log.query';
import { RolePolicyQuery } from '../access/role-policy.query';
import { AiTransparencyQuery, SubjectInsightsQuery } from '../ai/ai.queries';
import { insightValue } from '../ai/record-insight.command';
import { ConsentHistoryQuery } from '../consents/consent-history.query';
import { ConsentStateQuery } from '../consents/consent-state.query';
import { recipientsOf } from '../downstream/recipients';
import { SubjectsService } from './subjects.service';

/**
 * A data subject access request (DSAR): everything held about the customer, decrypted, for an
 * access or portability request. It is a command because it writes: the read is recorded in the
 * customer's access log (`via: dsar`, purpose `subject-access`, every field in full) before any
 * value is decrypted, and counts in the anomaly counters and incidents like any read.
 */
export class SubjectAccessCommand extends Command<Record<string, unknown>> {
  constructor(
    readonly subjectId: string,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

@CommandHandler(SubjectAccessCommand)
export class SubjectAccessHandler implements ICommandHandler<SubjectAccessCommand> {
  constructor(
    private readonly subjects: SubjectsService,
    private readonly recorder: AccessRecorder,
    private readonly vault: FieldVault,
    private readonly queries: QueryBus,
    private readonly limits: ActorLimits,
  ) {}

  async execute({ subjectId, meta }: SubjectAccessCommand) {
    const { state } = await this.subjects.current(subjectId);
    if (state.erased) throw gone(subjectId);
    const policy = await this.queries.execute(new RolePolicyQuery());
    const insights = await this.queries.execute(new SubjectInsightsQuery(subjectId));
    await this.limits.admitReads(meta.actor, [subjectId], meta.now);
    const receipt = await this.recorder.record(
      {
        type: 'FieldsAccessed',
        data: {
          subjectId,
          actorId: meta.actor.id,
          role: meta.actor.role,
          purposeId: SUBJECT_ACCESS_PURPOSE,
          via: 'dsar',
          fields: [
            ...Object.keys(state.fields),
            ...(insights.length > 0 ? [INSIGHTS_FIELD] : []),
          ].map((name) => ({ name, mask: 'full' as const })),
          policyVersion: policy.version,
          requestId: meta.requestId,
          at: meta.now.toISOString(),
        },
      },
      meta,
    );
    const sealedInsights = Object.fromEntries(
      insights.map((i) => [insightField(i.insightId), i.value]),
    );
    const opened = await this.vault.decrypt(receipt, { ...state.fields, ...sealedInsights });
    if (opened === null) throw gone(subjectId);
    const values = Object.fromEntries(
      Object.entries(opened).filter(([name]) => name in state.fields),
    );
    const [current, history, accessLog, ai] = await Promise.all([
      this.queries.execute(new ConsentStateQuery(subjectId)),
      this.queries.execute(new ConsentHistoryQuery(subjectId)),
      this.queries.execute(new AccessLogQuery(subjectId)),
      this.queries.execute(new AiTransparencyQuery(subjectId)),
    ]);
    // The systems that received the customer's data: per purpose they ever consented to.
    const consented = [
      ...new Set(history.events.filter((e) => e.type === 'ConsentGranted').map((e) => e.purposeId)),
    ].sort();
    const recipients = await Promise.all(
      consented.map(async (purposeId) => ({
        purposeId,
        connectors: await recipientsOf(this.queries, purposeId),
      })),
    );
    const bundle = await this.subjects.subjectAccess(
      subjectId,
      state,
      values,
      { current: current.purposes, history: history.events },
      accessLog,
    );
    // Results of AI analyses kept about the customer (never the text analysed), and whether
    // their data is used to train or analysed by AI (issue 17).
    const shownInsights = insights.map((i) => ({
      insightId: i.insightId,
      kind: i.kind,
      value: insightValue(i.valueType, opened[insightField(i.insightId)]),
      purposeId: i.purposeId,
      connectorId: i.connectorId,
      redactionId: i.redactionId,
      at: i.at,
    }));
    return { ...bundle, recipients, insights: shownInsights, ai };
  }
}
