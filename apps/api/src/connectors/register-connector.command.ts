import {
  connectorDecider,
  connectorStream,
  type ConnectorDefinition,
  type ConnectorState,
} from '@custodian/domain';
import {
  CommandExecutor,
  ConnectorKeys,
  CUSTODIAN_CONFIG,
  sha256Hex,
  WebhookSecrets,
  type CommandMeta,
  type CustodianConfig,
} from '@custodian/platform';
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { randomBytes } from 'node:crypto';

export interface RegisteredConnector {
  state: ConnectorState;
  /** The connector's API key (its feed, its acknowledgements): shown this once. */
  apiKey: string;
  /** The webhook signing secret (`whsec_…`): shown this once; null without a webhook. */
  webhookSecret: string | null;
}

export class RegisterConnectorCommand extends Command<RegisteredConnector> {
  constructor(
    readonly definition: ConnectorDefinition,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

/**
 * Registers a connector (its purposes and fields already checked to exist): a fresh API key,
 * kept as SHA-256 only, and with a webhook a fresh signing secret, sealed before it is written.
 */
@CommandHandler(RegisterConnectorCommand)
export class RegisterConnectorHandler implements ICommandHandler<RegisterConnectorCommand> {
  constructor(
    private readonly commands: CommandExecutor,
    private readonly secrets: WebhookSecrets,
    private readonly keys: ConnectorKeys,
    @Inject(CUSTODIAN_CONFIG) private readonly config: CustodianConfig,
  ) {}

  async execute({ definition, meta }: RegisterConnectorCommand): Promise<RegisteredConnector> {
    const apiKey = `ck_${randomBytes(32).toString('base64url')}`;
    const issued = definition.webhook ? this.secrets.issue(definition.connectorId, meta.now) : null;
    const apiKeySha256 = sha256Hex(apiKey);
    const outcome = await this.commands.execute(
      connectorStream(definition.connectorId),
      connectorDecider,
      { type: 'RegisterConnector', definition, apiKeySha256, secret: issued?.sealed ?? null },
      () => ({ now: meta.now, secretGraceMs: this.config.webhooks.secretGraceMs }),
      meta,
    );
    this.keys.note(apiKeySha256, { connectorId: definition.connectorId, suspended: false });
    return { state: outcome.state!, apiKey, webhookSecret: issued?.secret ?? null };
  }
}
