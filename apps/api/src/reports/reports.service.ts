import {
  EVENT_STORE,
  upcastLog,
  type EventStore,
  type RecordedEvent,
} from '@custodian/event-store';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { buildAuditReport, type AuditReport } from './audit-report';
import { AUDIT_INTEGRITY_VERIFIER, type IntegrityVerifier } from './integrity-section';

const PAGE = 5000;

/** Audit reports, computed from the log itself: every event is read, in order, once. */
@Injectable()
export class ReportsService {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Optional()
    @Inject(AUDIT_INTEGRITY_VERIFIER)
    private readonly verifier: IntegrityVerifier | null = null,
  ) {}

  async auditReport(from: string, to: string, now: Date): Promise<AuditReport> {
    const integrity = this.verifier ? await this.verifier() : null;
    return buildAuditReport(this.log(), { from, to, generatedAt: now.toISOString() }, integrity);
  }

  /** The whole log, page by page, each page upcast to the current event shapes. */
  private async *log(): AsyncIterable<RecordedEvent[]> {
    let after: string | undefined;
    for (;;) {
      const page = await this.events.readAll({ after, maxCount: PAGE });
      if (page.length === 0) return;
      after = page[page.length - 1].position;
      yield upcastLog(page) as RecordedEvent[];
      if (page.length < PAGE) return;
    }
  }
}
