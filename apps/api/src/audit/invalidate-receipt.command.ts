import { notFound, receiptInvalidationDecider, receiptStream } from '@custodian/domain';
import {
  CommandExecutor,
  ProjectionReader,
  WriteTracker,
  type CommandMeta,
} from '@custodian/platform';
import type { ConsentReceiptDocument } from '@custodian/projections';
import { READ_STORE, type ReadStore } from '@custodian/read-store';
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AuditService, AUDIT_INDEX, invalidationView } from './audit.service';

/**
 * A DPO's finding that a consent receipt is unsound (forged proof, wrong notice), with the
 * reason: recorded once in `receipt-<receiptId>` (again: 409; unknown receipt: 404). The reads
 * and exports that relied on the receipt are then listed as affected.
 */
export class InvalidateReceiptCommand extends Command<ReturnType<typeof invalidationView>> {
  constructor(
    readonly receiptId: string,
    readonly reason: string,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

@CommandHandler(InvalidateReceiptCommand)
export class InvalidateReceiptHandler implements ICommandHandler<InvalidateReceiptCommand> {
  constructor(
    private readonly commands: CommandExecutor,
    private readonly projections: ProjectionReader,
    private readonly writes: WriteTracker,
    private readonly audit: AuditService,
    @Inject(READ_STORE) private readonly reads: ReadStore,
  ) {}

  async execute({ receiptId, reason, meta }: InvalidateReceiptCommand) {
    const receipt = await this.receipt(receiptId);
    if (!receipt) throw notFound('receiptId', `no consent receipt ${receiptId}`);
    const outcome = await this.commands.execute(
      receiptStream(receiptId),
      receiptInvalidationDecider,
      {
        type: 'InvalidateReceipt',
        receiptId,
        subjectId: receipt.subjectId,
        purposeId: receipt.purposeId,
        reason,
        by: meta.actor.id,
      },
      () => ({ now: meta.now }),
      meta,
    );
    const event = outcome.events[0]!;
    await this.projections.catchUp(AUDIT_INDEX);
    return invalidationView(event, await this.audit.relyingOn(receiptId));
  }

  private async receipt(receiptId: string): Promise<ConsentReceiptDocument | null> {
    const own = this.writes.lastPosition('consent');
    if (own) await this.projections.catchUp('consent_receipts', { position: own });
    const collection = await this.projections.collection('consent_receipts');
    return (await this.reads.get(collection, receiptId)) as ConsentReceiptDocument | null;
  }
}
