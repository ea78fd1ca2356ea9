/**
 * Why a command was refused. The HTTP edge maps each kind to one status code:
 * invalid → 400, not_found → 404, conflict → 409, forbidden → 403, gone → 410,
 * precondition → 412 (a stale If-Match).
 */
export type DomainErrorKind =
  'invalid' | 'not_found' | 'conflict' | 'forbidden' | 'gone' | 'precondition';

/** A refused command: nothing was written. Messages never contain personal values. */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly kind: DomainErrorKind,
    /** The input field at fault, when there is one. */
    readonly field: string | null,
    message: string,
  ) {
    super(message);
  }
}

export const invalid = (field: string, message: string) =>
  new DomainError('invalid', field, message);
export const notFound = (field: string, message: string) =>
  new DomainError('not_found', field, message);
export const conflict = (field: string | null, message: string) =>
  new DomainError('conflict', field, message);
