import { Injectable } from '@nestjs/common';

/**
 * What this process has written, per stream category (`purpose`, `consent`, `subject`, ...):
 * the position of its newest append there, and a generation that grows with every append.
 * Reads that must see this process's own writes wait for exactly that position instead of the
 * head of the whole log, and caches of rarely changing records know when they are stale.
 */
@Injectable()
export class WriteTracker {
  private readonly latest = new Map<string, { position: string; generation: number }>();

  recordAppend(stream: string, position: string): void {
    const category = categoryOf(stream);
    const previous = this.latest.get(category);
    this.latest.set(category, { position, generation: (previous?.generation ?? 0) + 1 });
  }

  /** Position of this process's newest append to the category, if any. */
  lastPosition(category: string): string | undefined {
    return this.latest.get(category)?.position;
  }

  generation(category: string): number {
    return this.latest.get(category)?.generation ?? 0;
  }
}

export function categoryOf(stream: string): string {
  const dash = stream.indexOf('-');
  return dash > 0 ? stream.slice(0, dash) : stream;
}
