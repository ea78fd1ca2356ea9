import { LogIntegrity, type CheckpointPage, type IntegrityReport } from '@custodian/platform';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';

/** The log, or the checkpoints meeting positions `from`..`to`, checked against their seals. */
export class VerifyLogQuery extends Query<IntegrityReport> {
  constructor(
    readonly from: string | undefined,
    readonly to: string | undefined,
  ) {
    super();
  }
}

@QueryHandler(VerifyLogQuery)
export class VerifyLogHandler implements IQueryHandler<VerifyLogQuery> {
  constructor(private readonly integrity: LogIntegrity) {}

  execute({ from, to }: VerifyLogQuery): Promise<IntegrityReport> {
    return this.integrity.verifyLogIntegrity({ from, to });
  }
}

/** The signed checkpoints in order, with the public key, for an auditor to verify offline. */
export class CheckpointsQuery extends Query<CheckpointPage> {
  constructor(
    readonly after: number | undefined,
    readonly limit: number,
  ) {
    super();
  }
}

@QueryHandler(CheckpointsQuery)
export class CheckpointsHandler implements IQueryHandler<CheckpointsQuery> {
  constructor(private readonly integrity: LogIntegrity) {}

  execute({ after, limit }: CheckpointsQuery): Promise<CheckpointPage> {
    return this.integrity.checkpoints(after, limit);
  }
}
