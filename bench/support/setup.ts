/** Setting up a fresh API for a run: API keys, the actors file, purposes, projections caught up. */
import { DEFAULT_ANOMALY_RULES } from '@custodian/policy';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiServer } from './api-server';
import { BenchFailure, call, expectStatus } from './http';

export function newApiKey(): string {
  return randomBytes(32).toString('base64url');
}

export interface Actor {
  id: string;
  roles: string[];
  apiKey: string;
}

/** Writes `actors.json` (owner-only) into `dir`; returns its path. */
export function writeActorsFile(dir: string, actors: Actor[]): string {
  const file = join(dir, 'actors.json');
  writeFileSync(file, JSON.stringify({ actors }), { mode: 0o600 });
  return file;
}

/** `POST /v1/purposes` as admin. */
export async function registerPurpose(
  server: ApiServer,
  adminKey: string,
  purpose: unknown,
): Promise<void> {
  await expectStatus(
    'POST /v1/purposes',
    201,
    call(server, 'POST', '/v1/purposes', adminKey, purpose),
  );
}

/** `POST /v1/purposes/{id}/activate` by an actor holding admin and dpo, acting as dpo. */
export async function activatePurpose(
  server: ApiServer,
  adminKey: string,
  purposeId: string,
): Promise<void> {
  await expectStatus(
    'POST /v1/purposes/:id/activate',
    200,
    call(server, 'POST', `/v1/purposes/${purposeId}/activate`, adminKey, undefined, {
      'x-custodian-role': 'dpo',
    }),
  );
}

/**
 * Waits until every projection has caught up (per /health/ready, which carries the lag whether it answers 200 or 503), so what is timed next does not
 * share the CPU with it; returns the ms waited.
 */
export async function settleProjections(server: ApiServer): Promise<number> {
  const started = Date.now();
  for (;;) {
    const response = await fetch(`${server.baseUrl}/health/ready`, {
      signal: AbortSignal.timeout(15_000),
    });
    const body = (await response.json()) as unknown;
    const health = body as {
      details?: { projections?: { projections?: Array<{ eventsBehind: number }> } };
    };
    const projections = health.details?.projections?.projections;
    if (!projections)
      throw new BenchFailure(`/health/ready has no projection lag: ${JSON.stringify(body)}`);
    if (projections.every((p) => p.eventsBehind === 0)) return Date.now() - started;
    if (Date.now() - started > 120_000)
      throw new BenchFailure('projections did not catch up within 2 minutes');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * The default anomaly rules with every `suspend` turned into `alert`, published by an actor
 * holding dpo: a load test reads customers far faster than any person, and the default rules
 * would (rightly) suspend it. The counters and the detector still do all their work.
 */
export async function alertOnlyAnomalyRules(server: ApiServer, dpoKey: string): Promise<void> {
  await expectStatus(
    'POST /v1/anomaly-rules',
    201,
    call(
      server,
      'POST',
      '/v1/anomaly-rules',
      dpoKey,
      {
        rules: DEFAULT_ANOMALY_RULES.rules.map((rule) => ({ ...rule, action: 'alert' })),
        workingHours: DEFAULT_ANOMALY_RULES.workingHours,
      },
      { 'x-custodian-role': 'dpo' },
    ),
  );
}
