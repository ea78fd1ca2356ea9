import { lookup } from 'node:dns/promises';
import { createHmac } from 'node:crypto';
import { isIP } from 'node:net';
import { addressAllowed, destinationProblem, hostOf, type DestinationRules } from './destination';

export interface SendRules extends DestinationRules {
  timeoutMs: number;
  maxResponseBytes: number;
}

export interface SendOutcome {
  ok: boolean;
  /** The HTTP status, when a response came. */
  status: number | null;
  /** Why it failed (or what was odd about a success, e.g. a cut response); no secret, no body. */
  note: string | null;
}

/**
 * The Standard Webhooks signature header: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` for
 * each valid secret, space-separated (two during a rotation's grace period).
 */
export function signatureHeader(
  keys: readonly Buffer[],
  id: string,
  timestamp: number,
  body: string,
): string {
  const content = `${id}.${timestamp}.${body}`;
  return keys
    .map((key) => `v1,${createHmac('sha256', key).update(content).digest('base64')}`)
    .join(' ');
}

/**
 * One delivery attempt to the registered URL: its destination checked again (and, for a host
 * name, the addresses it resolves to), redirects never followed (a 3xx fails), a timeout over
 * the whole exchange, and at most `maxResponseBytes` of the response read.
 */
export async function sendWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  rules: SendRules,
): Promise<SendOutcome> {
  const problem = destinationProblem(url, rules);
  if (problem) return { ok: false, status: null, note: `destination refused: ${problem}` };
  const target = new URL(url);
  const host = hostOf(target);
  try {
    const addresses = isIP(host)
      ? [host]
      : (await lookup(host, { all: true })).map((a) => a.address);
    const refused = addresses.find((a) => !addressAllowed(a, target.protocol, rules));
    if (refused !== undefined || addresses.length === 0)
      return {
        ok: false,
        status: null,
        note: 'destination refused: resolves to a disallowed address',
      };
  } catch {
    return { ok: false, status: null, note: 'destination host did not resolve' };
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), rules.timeoutMs);
  try {
    const response = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      redirect: 'manual',
      signal: controller.signal,
    });
    const cut = await drain(response, rules.maxResponseBytes);
    if (response.status >= 300 && response.status < 400)
      return {
        ok: false,
        status: response.status,
        note: 'redirect refused (3xx is never followed)',
      };
    const note = cut ? `response cut at ${rules.maxResponseBytes} bytes` : null;
    if (response.status >= 200 && response.status < 300)
      return { ok: true, status: response.status, note };
    return { ok: false, status: response.status, note: note ?? `HTTP ${response.status}` };
  } catch (error) {
    if (controller.signal.aborted)
      return { ok: false, status: null, note: `timed out after ${rules.timeoutMs} ms` };
    return { ok: false, status: null, note: `request failed: ${errorCode(error)}` };
  } finally {
    clearTimeout(timer);
  }
}

/** Reads at most `cap` bytes of the body; true when there was more (the rest is not read). */
async function drain(response: Response, cap: number): Promise<boolean> {
  if (!response.body) return false;
  const reader = response.body.getReader();
  let read = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return false;
    read += value.byteLength;
    if (read > cap) {
      await reader.cancel().catch(() => undefined);
      return true;
    }
  }
}

function errorCode(error: unknown): string {
  const cause = (error as { cause?: { code?: string } })?.cause;
  return cause?.code ?? (error as Error)?.name ?? 'error';
}
