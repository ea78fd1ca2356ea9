import { accessStream } from '@custodian/domain';
import { CommandExecutor, type CommandMeta } from '@custodian/platform';
import {
  BadRequestException,
  ForbiddenException,
  ServiceUnavailableException,
} from '@nestjs/common';

/**
 * Records a refused read of a customer (`AccessDenied` in their access log, like a refused
 * view) and throws the answer: 400 for a purpose that is not one, 403 otherwise, naming the
 * purpose and the reason. If the refusal cannot be recorded: 503.
 */
export async function auditRefusal(
  commands: CommandExecutor,
  subjectId: string,
  purposeId: string,
  reason: string,
  meta: CommandMeta,
): Promise<never> {
  try {
    await commands.record(
      accessStream(subjectId),
      [
        {
          type: 'AccessDenied',
          data: {
            subjectId,
            actorId: meta.actor.id,
            role: meta.actor.role,
            purposeId,
            reason,
            requestId: meta.requestId,
            at: meta.now.toISOString(),
          },
        },
      ],
      meta,
    );
  } catch {
    throw new ServiceUnavailableException('the refusal could not be audited; try again');
  }
  const body = {
    message: `access refused: ${reason}`,
    details: [{ field: 'purposeId', problem: reason }],
  };
  throw reason === 'unknown_purpose' ? new BadRequestException(body) : new ForbiddenException(body);
}
