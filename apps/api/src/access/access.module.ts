import { Module } from '@nestjs/common';
import { AccessLogHandler } from './access-log.query';
import { AccessController } from './access.controller';
import { AccessService } from './access.service';
import { CustomerCardHandler } from './customer-card.query';
import { LookUpSubjectsHandler } from './look-up-subjects.command';
import { PublishRolePolicyHandler } from './publish-role-policy.command';
import { RolePolicyHandler } from './role-policy.query';
import { ViewSubjectHandler } from './view-subject.command';

/** Audited reads and lookups, the role policy and the access log. */
@Module({
  controllers: [AccessController],
  providers: [
    AccessService,
    ViewSubjectHandler,
    LookUpSubjectsHandler,
    PublishRolePolicyHandler,
    RolePolicyHandler,
    AccessLogHandler,
    CustomerCardHandler,
  ],
})
export class AccessModule {}
