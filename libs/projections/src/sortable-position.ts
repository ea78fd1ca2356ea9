/**
 * A log position as a string that sorts like the log: the embedded store's positions are
 * integers, EventStoreDB's `commit/prepare` pairs; each number is zero-padded to 20 digits (a
 * 64-bit unsigned integer has at most 20), so comparing the strings compares the positions.
 */
export function sortablePosition(position: string): string {
  return position
    .split('/')
    .map((part) => {
      if (!/^\d{1,20}$/.test(part)) throw new Error(`not a log position: ${position}`);
      return part.padStart(20, '0');
    })
    .join('/');
}
