/**
 * The integrity verdict a report carries: what a log verifier found (the shape of the tamper
 * evidence's `IntegrityReport`, of which the report shows these fields). None is wired unless a
 * module provides `AUDIT_INTEGRITY_VERIFIER`; the report then says the log was not verified.
 */
export interface IntegrityVerdict {
  ok: boolean;
  /** Events whose stored bytes were checked against a signed checkpoint. */
  checkedEvents: number;
  checkpoints: number;
  /** The first problem found (modified, deleted, inserted, reordered), by log position. */
  firstProblem?: { kind: string; position: string; detail?: string };
  /** Events after the last checkpoint: nothing vouches for them yet. */
  unsealed?: { events: number };
}

/** A function that verifies the whole log; provide it under this token to put it in reports. */
export const AUDIT_INTEGRITY_VERIFIER = Symbol('AUDIT_INTEGRITY_VERIFIER');
export type IntegrityVerifier = () => Promise<IntegrityVerdict>;

export const NOT_VERIFIED = 'integrity: not verified in this report';

/** The integrity section as rows of label and value (CSV and PDF alike). */
export function integrityRows(verdict: IntegrityVerdict | null): Array<[string, string]> {
  if (!verdict) return [['verdict', NOT_VERIFIED]];
  const rows: Array<[string, string]> = [
    [
      'verdict',
      verdict.ok
        ? 'log verified: no event modified, deleted, inserted or reordered'
        : 'LOG ALTERED',
    ],
    ['events checked', String(verdict.checkedEvents)],
    ['checkpoints', String(verdict.checkpoints)],
  ];
  if (verdict.unsealed) rows.push(['events not yet sealed', String(verdict.unsealed.events)]);
  if (verdict.firstProblem)
    rows.push([
      'first problem',
      `${verdict.firstProblem.kind} at position ${verdict.firstProblem.position}`,
    ]);
  return rows;
}
