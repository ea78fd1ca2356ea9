import {
  gone,
  grantedPurposeFlags,
  insightField,
  INSIGHTS_FIELD,
  notFound,
  effectiveStatus,
} from '@custodian/domain';
import {
  ActorLimits,
  ErasureLedger,
  FieldVault,
  type CommandMeta,
  type RequestActor,
} from '@custodian/platform';
import { customerView, viewMasks, type Mask } from '@custodian/policy';
import { BadRequestException, ForbiddenException } from '@nestjs/common';
import { Command, CommandHandler, QueryBus, type ICommandHandler } from '@nestjs/cqrs';
import { SubjectInsightsQuery } from '../ai/ai.queries';
import { insightValue } from '../ai/record-insight.command';
import { AllPurposesQuery } from '../purposes/all-purposes.query';
import { CurrentPurposeQuery } from '../purposes/current-purpose.query';
import { readRefusal } from './access-refusal';
import { AccessService } from './access.service';

export interface CustomerViewAnswer {
  subjectId: string;
  purposeId: string;
  role: string;
  policyVersion: number;
  fields: Record<string, string>;
  masks: Record<string, Mask>;
  consents: Array<{ purposeId: string; status: string }>;
  /**
   * Results of AI analyses kept about the customer (issue 17), when the role's mask for
   * `insights` is not hidden; `partial` shows each one's kind and source without its value.
   */
  insights?: ShownInsight[];
}

export interface ShownInsight {
  insightId: string;
  kind: string;
  valueType: 'tag' | 'score';
  value?: string | number;
  purposeId: string;
  connectorId: string;
  redactionId: string;
  at: string;
}

/**
 * The audited read: the customer as the caller's role may see them for the declared purpose
 * (`purposeId` null when none or a malformed one was declared: refused, and audited). It is a
 * command because it writes: the access record, before any value leaves.
 */
export class ViewSubjectCommand extends Command<CustomerViewAnswer> {
  constructor(
    readonly subjectId: string,
    readonly purposeId: string | null,
    readonly meta: CommandMeta & { actor: RequestActor },
  ) {
    super();
  }
}

@CommandHandler(ViewSubjectCommand)
export class ViewSubjectHandler implements ICommandHandler<ViewSubjectCommand> {
  constructor(
    private readonly access: AccessService,
    private readonly queries: QueryBus,
    private readonly vault: FieldVault,
    private readonly erasures: ErasureLedger,
    private readonly limits: ActorLimits,
  ) {}

  async execute({ subjectId, purposeId, meta }: ViewSubjectCommand): Promise<CustomerViewAnswer> {
    const card = await this.access.card(subjectId);
    if (!card) throw notFound('subjectId', `subject ${subjectId} is not registered`);
    // The card may lag the log; the log decides, even while the key still exists.
    if (card.erased || (await this.erasures.isErased(subjectId))) throw gone(subjectId);

    const policy = await this.access.policy();
    const rules = policy.roles[meta.actor.role];
    const purpose =
      purposeId === null ? null : await this.queries.execute(new CurrentPurposeQuery(purposeId));
    const all = [...(await this.queries.execute(new AllPurposesQuery())).values()];
    const refusal = readRefusal(
      rules,
      meta.actor.role,
      purpose,
      purposeId,
      card.consents,
      meta.now,
    );
    if (refusal) {
      await this.access.audit(subjectId, meta, {
        type: 'AccessDenied',
        data: {
          subjectId,
          actorId: meta.actor.id,
          role: meta.actor.role,
          purposeId: purposeId ?? '',
          reason: refusal,
          requestId: meta.requestId,
          at: meta.now.toISOString(),
        },
      });
      const body = {
        message: `access refused: ${refusal}`,
        details: [{ field: 'purpose', problem: refusal }],
      };
      throw refusal === 'unknown_purpose' || refusal === 'no_purpose_declared'
        ? new BadRequestException(body)
        : new ForbiddenException(body);
    }

    // The card's masks were built for one policy version; while a newer one is being rebuilt,
    // the policy in force decides.
    const masks: Record<string, Mask> =
      card.policyVersion === policy.version && card.roles[meta.actor.role]
        ? card.roles[meta.actor.role]
        : Object.fromEntries(
            Object.keys(card.fields).map((f) => [f, rules.fields[f] ?? rules.otherFields]),
          );
    // The masks follow from the field names and consents alone: the access record naming them
    // is appended first, and only what it says is shown is decrypted, against its receipt.
    const shownRules = { ...rules, fields: masks, otherFields: 'hidden' as Mask };
    const flags = grantedPurposeFlags(card.consents, all, meta.now);
    const shown = viewMasks(shownRules, Object.keys(card.fields), flags);
    // Insights are one field to the policy (`insights`), each value sealed on its own.
    const insights = await this.queries.execute(new SubjectInsightsQuery(subjectId));
    const insightMask: Mask = rules.fields[INSIGHTS_FIELD] ?? rules.otherFields;
    const showInsights = insights.length > 0 && insightMask !== 'hidden';
    // A read that would take the actor past a suspend rule's threshold is not served.
    await this.limits.admitReads(meta.actor, [subjectId], meta.now);
    const receipt = await this.access.auditRead(
      {
        type: 'FieldsAccessed',
        data: {
          subjectId,
          actorId: meta.actor.id,
          role: meta.actor.role,
          purposeId: purposeId!,
          via: 'view',
          fields: [
            ...Object.entries(shown).map(([name, mask]) => ({ name, mask })),
            ...(showInsights ? [{ name: INSIGHTS_FIELD, mask: insightMask }] : []),
          ],
          policyVersion: policy.version,
          requestId: meta.requestId,
          at: meta.now.toISOString(),
        },
      },
      meta,
    );
    const visible = Object.fromEntries(
      Object.entries(card.fields).filter(([f]) => shown[f] !== 'hidden'),
    );
    const sealedInsights =
      showInsights && insightMask === 'full'
        ? Object.fromEntries(insights.map((i) => [insightField(i.insightId), i.value]))
        : {};
    const opened = await this.vault.decrypt(receipt, { ...visible, ...sealedInsights });
    if (opened === null) throw gone(subjectId);
    const values = Object.fromEntries(Object.entries(opened).filter(([f]) => f in visible));
    const view = customerView(shownRules, values, flags);
    const badges = all
      .filter((p) => p.status === 'active')
      .map((p) => ({
        purposeId: p.purposeId,
        status: effectiveStatus(card.consents[p.purposeId], p, meta.now),
      }));
    return {
      subjectId,
      purposeId: purposeId!,
      role: meta.actor.role,
      policyVersion: policy.version,
      fields: view.fields,
      masks: showInsights ? { ...shown, [INSIGHTS_FIELD]: insightMask } : shown,
      consents: badges,
      ...(showInsights
        ? {
            insights: insights.map((i): ShownInsight => ({
              insightId: i.insightId,
              kind: i.kind,
              valueType: i.valueType,
              ...(insightMask === 'full'
                ? { value: insightValue(i.valueType, opened[insightField(i.insightId)]) }
                : {}),
              purposeId: i.purposeId,
              connectorId: i.connectorId,
              redactionId: i.redactionId,
              at: i.at,
            })),
          }
        : {}),
    };
  }
}
