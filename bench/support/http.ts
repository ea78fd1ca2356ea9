/** JSON calls to the API under test, for set-up and checks (not for the measured load). */
import type { ApiServer } from './api-server';

/** A fatal problem with the system under test (not a missed aim). */
export class BenchFailure extends Error {
  override readonly name = 'BenchFailure';
}

/** One request with the API key as bearer token; the body is parsed when it is JSON. */
export async function call(
  server: ApiServer,
  method: string,
  path: string,
  key: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text for the error message
  }
  return { status: response.status, body: parsed };
}

/** The body of the answer, or BenchFailure when its status is not `expected`. */
export async function expectStatus(
  what: string,
  expected: number,
  pending: Promise<{ status: number; body: unknown }>,
): Promise<unknown> {
  const { status, body } = await pending;
  if (status !== expected) {
    throw new BenchFailure(
      `${what}: expected ${expected}, got ${status}: ${JSON.stringify(body).slice(0, 500)}`,
    );
  }
  return body;
}
