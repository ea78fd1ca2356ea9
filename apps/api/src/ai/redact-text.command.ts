import {
  conflict,
  gone,
  invalid,
  notFound,
  redactionStream,
  REDACTION_MAPPING_FIELD,
  type PurposeState,
} from '@custodian/domain';
import {
  AccessRecorder,
  ActorLimits,
  CommandExecutor,
  CUSTODIAN_CONFIG,
  ErasureLedger,
  FieldVault,
  type CommandMeta,
  type CustodianConfig,
  type RequestActor,
} from '@custodian/platform';
import { mayDeclarePurpose } from '@custodian/policy';
import { redact, type EntityType, type KnownValues } from '@custodian/redaction';
import { ForbiddenException, Inject } from '@nestjs/common';
import { Command, CommandHandler, QueryBus, type ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { readRefusal } from '../access/access-refusal';
import { CustomerCardQuery } from '../access/customer-card.query';
import { RolePolicyQuery } from '../access/role-policy.query';
import { ConnectorQuery } from '../connectors/connectors.query';
import { CurrentPurposeQuery } from '../purposes/current-purpose.query';
import { auditRefusal } from './ai-refusal';
import { sealMapping } from './seal';

export interface RedactionAnswer {
  redactionId: string;
  text: string;
  counts: Partial<Record<EntityType, number>>;
  /** Whether `POST /v1/redactions/{id}/restore` can put values back (only with a subjectId). */
  reversible: boolean;
  /** Until when it can (null when not reversible). */
  expiresAt: string | null;
}

/** The customer's own values the engine looks for, by profile field. */
const KNOWN_FIELDS = ['name', 'email', 'phone', 'address', 'birthDate'] as const;

/**
 * Redacts text bound for an AI connector (issue 17). The purpose must be active, declare AI
 * processing and be served by the connector, which must be active; the caller's role must be
 * allowed to declare the purpose. With a customer: the read is checked like a view (consent for
 * a purpose resting on consent), their own values are decrypted against an access record
 * appended first (`via: redaction`), and the pseudonym mapping is sealed under their key and
 * again under the redaction's own key, which the expiry sweep destroys (`RedactionExpirySweeper`).
 * The record (`TextRedacted`) holds counts, never the text or a value.
 */
export class RedactTextCommand extends Command<RedactionAnswer> {
  constructor(
    readonly body: { text: string; subjectId?: string; purposeId: string; connectorId: string },
    readonly meta: CommandMeta & { actor: RequestActor },
  ) {
    super();
  }
}

@CommandHandler(RedactTextCommand)
export class RedactTextHandler implements ICommandHandler<RedactTextCommand> {
  constructor(
    private readonly queries: QueryBus,
    private readonly recorder: AccessRecorder,
    private readonly commands: CommandExecutor,
    private readonly vault: FieldVault,
    private readonly erasures: ErasureLedger,
    private readonly limits: ActorLimits,
    @Inject(CUSTODIAN_CONFIG) private readonly config: CustodianConfig,
  ) {}

  async execute({ body, meta }: RedactTextCommand): Promise<RedactionAnswer> {
    const purpose = await aiPurposeForConnector(this.queries, body.purposeId, body.connectorId);
    const subjectId = body.subjectId?.toLowerCase() ?? null;
    let known: KnownValues = {};
    if (subjectId === null) {
      if (purpose.legalBasis === 'consent')
        throw invalid(
          'subjectId',
          'is required for a purpose resting on consent: the consent is checked per customer',
        );
      if (!mayDeclarePurpose(meta.actor.role, purpose))
        throw new ForbiddenException({
          message: `access refused: role_may_not_declare_purpose`,
          details: [{ field: 'purposeId', problem: 'role_may_not_declare_purpose' }],
        });
    } else {
      const card = await this.queries.execute(new CustomerCardQuery(subjectId));
      if (!card) throw notFound('subjectId', `subject ${subjectId} is not registered`);
      if (card.erased || (await this.erasures.isErased(subjectId))) throw gone(subjectId);
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
      const fields = Object.fromEntries(
        KNOWN_FIELDS.filter((f) => card.fields[f] !== undefined).map((f) => [f, card.fields[f]]),
      );
      await this.limits.admitReads(meta.actor, [subjectId], meta.now);
      const receipt = await this.recorder.record(
        {
          type: 'FieldsAccessed',
          data: {
            subjectId,
            actorId: meta.actor.id,
            role: meta.actor.role,
            purposeId: purpose.purposeId,
            via: 'redaction',
            fields: Object.keys(fields).map((name) => ({ name, mask: 'full' as const })),
            policyVersion: policy.version,
            requestId: meta.requestId,
            at: meta.now.toISOString(),
          },
        },
        meta,
      );
      const values = await this.vault.decrypt(receipt, fields);
      if (values === null) throw gone(subjectId);
      known = knownValues(values);
    }

    const result = redact(body.text, { known });
    const redactionId = randomUUID();
    const expiresAt =
      subjectId === null
        ? null
        : new Date(meta.now.getTime() + this.config.redaction.mappingTtlHours * 3_600_000);
    let mapping: { keyId: string; sealed: string; redactionKeyId: string } | null = null;
    if (subjectId !== null) {
      // Two layers: the customer's key (erasure shreds it) and the redaction's own key (the
      // expiry sweep destroys it), so the record opens for nobody once the mapping expires.
      const sealed = await sealMapping(this.vault, subjectId, redactionId, {
        [REDACTION_MAPPING_FIELD]: JSON.stringify({ redactionId, mapping: result.mapping }),
      });
      mapping = {
        keyId: sealed.keyId,
        sealed: sealed.fields[REDACTION_MAPPING_FIELD],
        redactionKeyId: sealed.redactionKeyId,
      };
    }
    const counts: Record<string, number> = {};
    for (const [type, n] of Object.entries(result.counts) as Array<[string, number | undefined]>)
      if (n) counts[type] = n;
    await this.commands.record(
      redactionStream(redactionId),
      [
        {
          type: 'TextRedacted',
          data: {
            redactionId,
            purposeId: purpose.purposeId,
            connectorId: body.connectorId,
            subjectId,
            actorId: meta.actor.id,
            role: meta.actor.role,
            counts,
            mapping,
            expiresAt: expiresAt?.toISOString() ?? null,
            requestId: meta.requestId,
            at: meta.now.toISOString(),
          },
        },
      ],
      meta,
    );
    return {
      redactionId,
      text: result.text,
      counts,
      reversible: mapping !== null,
      expiresAt: expiresAt?.toISOString() ?? null,
    };
  }
}

/**
 * The purpose text may be sent to the connector under: registered, active, declaring AI
 * processing, and served by the connector (its registry entry lists the purpose), which must
 * be registered and not suspended. Each refusal names the field at fault.
 */
export async function aiPurposeForConnector(
  queries: QueryBus,
  purposeId: string,
  connectorId: string,
): Promise<PurposeState> {
  const [purpose, connector] = await Promise.all([
    queries.execute(new CurrentPurposeQuery(purposeId)),
    queries.execute(new ConnectorQuery(connectorId)),
  ]);
  if (!purpose) throw notFound('purposeId', `purpose "${purposeId}" is not registered`);
  if (purpose.status !== 'active')
    throw conflict('purposeId', `purpose "${purposeId}" is ${purpose.status}, not active`);
  if (!purpose.flags.aiProcessing)
    throw conflict(
      'purposeId',
      `purpose "${purposeId}" does not declare AI processing (flags.aiProcessing)`,
    );
  if (!connector) throw notFound('connectorId', `connector "${connectorId}" is not registered`);
  if (connector.status !== 'active')
    throw conflict('connectorId', `connector "${connectorId}" is suspended`);
  if (!connector.purposes.includes(purposeId))
    throw conflict(
      'connectorId',
      `connector "${connectorId}" does not serve purpose "${purposeId}" (its registry entry lists the purposes it may receive data for)`,
    );
  // A connector that declares its AI use receives text only for a use it declares.
  const use = purpose.flags.aiTraining ? 'training' : 'analysis';
  if (connector.ai && !(use === 'training' ? connector.ai.training : connector.ai.analysis))
    throw conflict(
      'connectorId',
      `connector "${connectorId}" does not declare AI ${use} (its registry entry's ai flags), which purpose "${purposeId}" is for`,
    );
  return purpose;
}

function knownValues(values: Record<string, string>): KnownValues {
  const other: Array<{ type: EntityType; value: string }> = [];
  if (values.address) other.push({ type: 'ADDRESS', value: values.address });
  if (values.birthDate) other.push({ type: 'BIRTHDATE', value: values.birthDate });
  return {
    ...(values.name ? { names: [values.name] } : {}),
    ...(values.email ? { emails: [values.email] } : {}),
    ...(values.phone ? { phones: [values.phone] } : {}),
    ...(other.length > 0 ? { other } : {}),
  };
}
