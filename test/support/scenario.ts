import { EVENT_STORE, type EventStore } from '@custodian/event-store';
import { noticeBody, purposeBody } from './fixtures';
import { ApiClient, type JsonResponse } from './http';
import type { TestApp } from './test-app';

/** Polls until the condition holds (projections apply asynchronously). */
export async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Steps the end-to-end suites share: clients per actor, purposes, "nothing was written". */
export class Scenario {
  private readonly events: EventStore;

  constructor(private readonly t: TestApp) {
    this.events = t.app.get<EventStore>(EVENT_STORE);
  }

  client(actorId: string): ApiClient {
    return new ApiClient(this.t.baseUrl, this.t.keys[actorId]);
  }

  /** The newest event's id: unchanged means nothing was written. */
  async head(): Promise<string | null> {
    return (await this.events.readLastEvent())?.id ?? null;
  }

  /** Runs a request that must be refused with `status`, and checks the event log did not move. */
  async expectNothingWritten(action: () => Promise<JsonResponse>, status: number) {
    const before = await this.head();
    const response = await action();
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({
      statusCode: status,
      error: expect.any(String),
      message: expect.any(String),
    });
    expect(await this.head()).toBe(before);
    return response.body;
  }

  /** Registers a purpose, publishes notice v1 and has a DPO activate it. */
  async activePurpose(
    admin: ApiClient,
    dpo: ApiClient,
    purposeId: string,
    overrides: Record<string, unknown> = {},
  ) {
    expect((await admin.post('/v1/purposes', purposeBody(purposeId, overrides))).status).toBe(201);
    expect((await admin.post(`/v1/purposes/${purposeId}/notices`, noticeBody('v1'))).status).toBe(
      201,
    );
    expect((await dpo.post(`/v1/purposes/${purposeId}/activate`)).status).toBe(200);
  }
}
