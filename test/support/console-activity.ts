import type { AnomalyDetected } from '@custodian/domain';
import { EVENT_STORE, newEventId, type EventStore } from '@custodian/event-store';
import { DEFAULT_ROLE_POLICY } from '@custodian/policy';
import { consentBody, purposeBody } from './fixtures';
import type { ApiClient } from './http';
import { Scenario } from './scenario';
import type { TestApp } from './test-app';

/** The actors a console test needs: the console's three roles, the staff who act, one analyst. */
export const CONSOLE_ACTORS = [
  'admin',
  'dpo',
  'dashboard',
  'service',
  'marketing',
  'support',
  'analyst',
].map((role) => ({ id: `${role}-1`, roles: [role] }));

/** An anomaly as the detector appends it, written straight to the log (as the stream test does). */
export async function appendAnomaly(t: TestApp, n: number, detectedAt: Date) {
  const events = t.app.get<EventStore>(EVENT_STORE);
  const data: AnomalyDetected['data'] = {
    anomalyId: newEventId(),
    ruleId: n % 2 === 0 ? 'bulk-reads' : 'after-hours',
    ruleSetVersion: 1,
    description: 'scripted anomaly',
    actorId: `staff-${n}`,
    role: 'support',
    measure: 'distinctCustomers',
    window: 'PT10M',
    windowStart: new Date(detectedAt.getTime() - 600_000).toISOString(),
    windowEnd: detectedAt.toISOString(),
    value: 50,
    threshold: 20,
    action: 'alert',
    detectedAt: detectedAt.toISOString(),
  };
  await events.append(`actor-staff-${n}`, [{ type: 'AnomalyDetected', data }]);
  return data;
}

/**
 * A day of activity through the API: three purposes, twelve customers, grants and a few
 * revocations, reads, an export waiting for approval and one done, three anomalies, a
 * suspended actor, an open incident and privacy requests. Returns the clients per role.
 */
export async function scriptDay(t: TestApp, now: Date): Promise<Record<string, ApiClient>> {
  const scenario = new Scenario(t);
  const as: Record<string, ApiClient> = {};
  for (const { id, roles } of CONSOLE_ACTORS) as[roles[0]] = scenario.client(id);
  const fields = ['name', 'email'];
  const assessment = { ...purposeBody('x').assessment, minimumFields: fields };
  await scenario.activePurpose(as.admin, as.dpo, 'newsletter', {
    allowedRoles: ['marketing', 'service', 'support'],
    assessment,
  });
  await scenario.activePurpose(as.admin, as.dpo, 'recommendations', {
    allowedRoles: ['marketing', 'service'],
    assessment,
  });
  await scenario.activePurpose(as.admin, as.dpo, 'orders', {
    legalBasis: 'contract',
    allowedRoles: ['support', 'service'],
    flags: { marketing: false, profiling: false, saleOrShare: false, aiProcessing: false },
    assessment,
  });
  const roles = structuredClone(DEFAULT_ROLE_POLICY.roles);
  roles.marketing.exportApprovalAbove = 3;
  await ok(as.dpo.post('/v1/policy/roles', { roles }));
  const ids: string[] = [];
  for (let i = 0; i < 12; i++) {
    const created = await ok(
      as.service.post('/v1/subjects', {
        profile: { name: `Customer ${i}`, email: `customer${i}@example.com` },
        source: 'shop',
      }),
    );
    const id = created.body.subjectId as string;
    ids.push(id);
    if (i < 9) await ok(as.service.post(`/v1/subjects/${id}/consents`, consentBody('newsletter')));
    if (i % 3 === 0)
      await ok(as.service.post(`/v1/subjects/${id}/consents`, consentBody('recommendations')));
  }
  for (const id of ids.slice(0, 3))
    await ok(
      as.service.post(
        `/v1/subjects/${id}/consents`,
        consentBody('newsletter', { action: 'revoke', noticeVersion: undefined }),
      ),
    );
  for (const id of ids.slice(0, 6))
    await ok(as.support.get(`/v1/subjects/${id}/view?purpose=orders`));
  const justification = 'monthly newsletter send through the mail provider';
  await ok(as.marketing.post('/v1/exports', { purposeId: 'newsletter', justification, fields }));
  for (let n = 0; n < 3; n++) await appendAnomaly(t, n, new Date(now.getTime() - n * 3_600_000));
  await ok(
    as.dpo.post('/v1/actors/support-1/suspend', { reason: 'bulk reads across the customer base' }),
  );
  await ok(
    as.dpo.post('/v1/incidents', {
      title: 'Bulk reads by a support agent',
      actorIds: ['support-1'],
      from: new Date(now.getTime() - 3_600_000).toISOString(),
      to: now.toISOString(),
    }),
  );
  for (const [i, kind] of (['access', 'erasure', 'access'] as const).entries())
    await ok(
      as.dpo.post('/v1/privacy-requests', {
        subjectId: ids[9 + i],
        kind,
        jurisdiction: 'ru',
        receivedVia: 'email',
      }),
    );
  return as;
}

async function ok<T extends { status: number; body: unknown }>(response: Promise<T>): Promise<T> {
  const r = await response;
  if (r.status >= 300)
    throw new Error(`scripted step refused: ${r.status} ${JSON.stringify(r.body)}`);
  return r;
}
