import { createHash, randomUUID } from 'node:crypto';

/** Namespace for Custodian's name-based (v5) event ids. */
const NAMESPACE = Buffer.from('6f1d2c1e8a0b4c5e9d3f7a2b1c0e4d5f', 'hex');

/**
 * A UUID v5 derived from an idempotency key and the event's index in its command, so a retried
 * command produces the same event ids and the store appends nothing new.
 */
export function deterministicEventId(idempotencyKey: string, index: number): string {
  const hash = createHash('sha1').update(NAMESPACE).update(`${idempotencyKey}#${index}`).digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function newEventId(): string {
  return randomUUID();
}
