import { Global, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Lifecycle } from '../lifecycle/lifecycle';
import { ConnectorKeys } from './connector-keys';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookSecrets, webhookSecretsKeyProvider } from './webhook-secrets';

/** Connectors' keys (checked by the guard), their webhook secrets, and webhook delivery. */
@Global()
@Module({
  providers: [webhookSecretsKeyProvider, ConnectorKeys, WebhookSecrets, WebhookDispatcher],
  exports: [ConnectorKeys, WebhookSecrets, WebhookDispatcher],
})
export class ConnectorsPlatformModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly keys: ConnectorKeys,
    private readonly dispatcher: WebhookDispatcher,
    private readonly lifecycle: Lifecycle,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.lifecycle.step('connectors: load connector keys', () => this.keys.refresh());
    await this.lifecycle.step('connectors: start webhook delivery', () => this.dispatcher.start());
  }

  async onApplicationShutdown(): Promise<void> {
    await this.lifecycle.step('connectors: stop webhook delivery', () => this.dispatcher.stop());
  }
}
