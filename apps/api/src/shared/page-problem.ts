import { DomainError } from '@custodian/domain';
import { HttpException } from '@nestjs/common';

export interface FieldProblem {
  field: string;
  problem: string;
}

/**
 * What an error thrown while serving an HTML page (the console, the privacy centre) means for
 * the caller, as the JSON API would say it: the status and the fields at fault. 500 means
 * unexpected: the page filter logs it and shows no detail.
 */
export function pageProblem(
  exception: unknown,
  domainStatus: (error: DomainError) => number,
): { status: number; details: FieldProblem[] } {
  if (exception instanceof DomainError)
    return {
      status: domainStatus(exception),
      details: [{ field: exception.field ?? 'request', problem: exception.message }],
    };
  if (exception instanceof HttpException) {
    const body = exception.getResponse() as { details?: FieldProblem[] } | string;
    return {
      status: exception.getStatus(),
      details:
        body && typeof body === 'object' && Array.isArray(body.details)
          ? body.details
          : [{ field: 'request', problem: exception.message }],
    };
  }
  // Fastify's own client errors (a body that is not JSON, too large) carry a 4xx statusCode.
  const code = (exception as { statusCode?: unknown } | null)?.statusCode;
  if (typeof code === 'number' && code >= 400 && code < 500)
    return { status: code, details: [{ field: 'body', problem: (exception as Error).message }] };
  return { status: 500, details: [] };
}
