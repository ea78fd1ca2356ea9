import { connectorDecider, connectorStream, type ConnectorState } from '@custodian/domain';
import {
  CommandExecutor,
  ConnectorKeys,
  CUSTODIAN_CONFIG,
  WebhookSecrets,
  type CommandMeta,
  type CustodianConfig,
} from '@custodian/platform';
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';

/** Suspends (containment) or reinstates a connector, with the reason. */
export class ChangeConnectorStandingCommand extends Command<ConnectorState> {
  constructor(
    readonly connectorId: string,
    readonly action: 'suspend' | 'reinstate',
    readonly reason: string,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

@CommandHandler(ChangeConnectorStandingCommand)
export class ChangeConnectorStandingHandler implements ICommandHandler<ChangeConnectorStandingCommand> {
  constructor(
    private readonly commands: CommandExecutor,
    private readonly keys: ConnectorKeys,
    @Inject(CUSTODIAN_CONFIG) private readonly config: CustodianConfig,
  ) {}

  async execute({
    connectorId,
    action,
    reason,
    meta,
  }: ChangeConnectorStandingCommand): Promise<ConnectorState> {
    const outcome = await this.commands.execute(
      connectorStream(connectorId),
      connectorDecider,
      action === 'suspend'
        ? { type: 'SuspendConnector', connectorId, by: meta.actor.id, reason }
        : { type: 'ReinstateConnector', connectorId, by: meta.actor.id, reason },
      () => ({ now: meta.now, secretGraceMs: this.config.webhooks.secretGraceMs }),
      meta,
    );
    const state = outcome.state!;
    this.keys.note(state.apiKeySha256, { connectorId, suspended: state.status === 'suspended' });
    return state;
  }
}

/** A new webhook signing secret; the previous one stays valid for the grace period. */
export class RotateWebhookSecretCommand extends Command<{ state: ConnectorState; secret: string }> {
  constructor(
    readonly connectorId: string,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

@CommandHandler(RotateWebhookSecretCommand)
export class RotateWebhookSecretHandler implements ICommandHandler<RotateWebhookSecretCommand> {
  constructor(
    private readonly commands: CommandExecutor,
    private readonly secrets: WebhookSecrets,
    @Inject(CUSTODIAN_CONFIG) private readonly config: CustodianConfig,
  ) {}

  async execute({ connectorId, meta }: RotateWebhookSecretCommand) {
    const issued = this.secrets.issue(connectorId, meta.now);
    const outcome = await this.commands.execute(
      connectorStream(connectorId),
      connectorDecider,
      { type: 'RotateWebhookSecret', connectorId, secret: issued.sealed },
      () => ({ now: meta.now, secretGraceMs: this.config.webhooks.secretGraceMs }),
      meta,
    );
    return { state: outcome.state!, secret: issued.secret };
  }
}
