import { Module } from '@nestjs/common';
import {
  ChangeConnectorStandingHandler,
  RotateWebhookSecretHandler,
} from './connector-lifecycle.command';
import { ConnectorsController } from './connectors.controller';
import { ConnectorQueryHandler, ConnectorsQueryHandler } from './connectors.query';
import { ConnectorsService } from './connectors.service';
import { RegisterConnectorHandler } from './register-connector.command';

/** Connectors: the registry (data map), its containment, its queries for other features. */
@Module({
  controllers: [ConnectorsController],
  providers: [
    ConnectorsService,
    RegisterConnectorHandler,
    ChangeConnectorStandingHandler,
    RotateWebhookSecretHandler,
    ConnectorsQueryHandler,
    ConnectorQueryHandler,
  ],
})
export class ConnectorsModule {}
