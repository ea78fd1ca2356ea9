import { Global, Module, OnApplicationBootstrap } from '@nestjs/common';
import { Lifecycle } from '../lifecycle/lifecycle';
import { ConnectorKeys } from './connector-keys';
import { WebhookSecrets } from './webhook-secrets';

/** Connectors' keys (checked by the guard), their webhook secrets, and webhook delivery. */
@Global()
@Module({
  providers: [ConnectorKeys, WebhookSecrets],
  exports: [ConnectorKeys, WebhookSecrets],
})
export class ConnectorsPlatformModule implements OnApplicationBootstrap {
  constructor(
    private readonly keys: ConnectorKeys,
    private readonly lifecycle: Lifecycle,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.lifecycle.step('connectors: load connector keys', () => this.keys.refresh());
  }
}
