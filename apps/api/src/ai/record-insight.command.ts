import {
  conflict,
  gone,
  insightField,
  insightsStream,
  notFound,
  type InsightRecorded,
} from '@custodian/domain';
import {
  CommandExecutor,
  ErasureLedger,
  FieldVault,
  type CommandMeta,
  type RequestActor,
} from '@custodian/platform';
import { Command, CommandHandler, QueryBus, type ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { readRefusal } from '../access/access-refusal';
import { CustomerCardQuery } from '../access/customer-card.query';
import { RolePolicyQuery } from '../access/role-policy.query';
import { auditRefusal } from './ai-refusal';
import { sealFor } from './seal';
import { RedactionQuery } from './ai.queries';
import { aiPurposeForConnector } from './redact-text.command';

export interface InsightAnswer {
  insightId: string;
  subjectId: string;
  purposeId: string;
  connectorId: string;
  redactionId: string;
  kind: string;
  valueType: 'tag' | 'score';
  at: string;
}

/**
 * Keeps the result of an AI analysis about a customer, not the text (issue 17): a tag or a
 * score with its source (the purpose, the connector, the redaction the text went out under,
 * which must be about this customer and name the same purpose and connector). The value is
 * personal data: sealed under the customer's key, shown by role, erased with the customer.
 */
export class RecordInsightCommand extends Command<InsightAnswer> {
  constructor(
    readonly subjectId: string,
    readonly body: {
      purposeId: string;
      connectorId: string;
      redactionId: string;
      kind: string;
      value: string | number;
    },
    readonly meta: CommandMeta & { actor: RequestActor },
  ) {
    super();
  }
}

@CommandHandler(RecordInsightCommand)
export class RecordInsightHandler implements ICommandHandler<RecordInsightCommand> {
  constructor(
    private readonly queries: QueryBus,
    private readonly commands: CommandExecutor,
    private readonly vault: FieldVault,
    private readonly erasures: ErasureLedger,
  ) {}

  async execute({ subjectId, body, meta }: RecordInsightCommand): Promise<InsightAnswer> {
    const card = await this.queries.execute(new CustomerCardQuery(subjectId));
    if (!card) throw notFound('subjectId', `subject ${subjectId} is not registered`);
    if (card.erased || (await this.erasures.isErased(subjectId))) throw gone(subjectId);
    const redaction = await this.queries.execute(new RedactionQuery(body.redactionId));
    if (!redaction) throw notFound('redactionId', `redaction ${body.redactionId} is not recorded`);
    if (redaction.subjectId !== subjectId)
      throw conflict('redactionId', 'the redaction is not about this customer');
    if (redaction.purposeId !== body.purposeId)
      throw conflict('purposeId', 'differs from the purpose the redaction was made for');
    if (redaction.connectorId !== body.connectorId)
      throw conflict('connectorId', 'differs from the connector the redaction was made for');
    const purpose = await aiPurposeForConnector(this.queries, body.purposeId, body.connectorId);
    const policy = await this.queries.execute(new RolePolicyQuery());
    const refusal = readRefusal(
      policy.roles[meta.actor.role as keyof typeof policy.roles],
      meta.actor.role,
      purpose,
      purpose.purposeId,
      card.consents,
      meta.now,
    );
    if (refusal) await auditRefusal(this.commands, subjectId, purpose.purposeId, refusal, meta);

    const insightId = randomUUID();
    const valueType = typeof body.value === 'number' ? 'score' : 'tag';
    const field = insightField(insightId);
    const sealed = await sealFor(this.vault, subjectId, { [field]: String(body.value) });
    const event: InsightRecorded = {
      type: 'InsightRecorded',
      data: {
        insightId,
        subjectId,
        purposeId: body.purposeId,
        connectorId: body.connectorId,
        redactionId: body.redactionId,
        kind: body.kind,
        valueType,
        keyId: sealed.keyId,
        value: sealed.fields[field],
        actorId: meta.actor.id,
        role: meta.actor.role,
        requestId: meta.requestId,
        at: meta.now.toISOString(),
      },
    };
    await this.commands.record(insightsStream(subjectId), [event], meta);
    const { keyId: _k, value: _v, actorId: _a, role: _r, requestId: _q, ...answer } = event.data;
    return answer;
  }
}

/** An insight's stored value as shown: a score is a number again. */
export function insightValue(valueType: 'tag' | 'score', plain: string): string | number {
  return valueType === 'score' ? Number(plain) : plain;
}
