import { CentreTokenError, CENTRE_LANGUAGES, type CentreLanguage } from './centre-tokens';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  cookieNameFor,
  pageHeaders,
  readCookieFor,
  sendPage,
  sessionCookieFor,
} from '../shared/web-pages';

/**
 * Headers on every centre response: nothing but the app's own stylesheet may load (no script
 * at all), forms post only to the app, no framing, no referrer (the pages' addresses name
 * nothing, but a link's token must never travel on), and nothing cached.
 */
export const CENTRE_HEADERS: Record<string, string> = pageHeaders(
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
);

const COOKIE = 'custodian-privacy';

export function sendHtml(reply: FastifyReply, status: number, html: string): FastifyReply {
  return sendPage(reply, status, html, CENTRE_HEADERS);
}

/** The session cookie: `__Host-` prefixed (and Secure) over https. */
export function cookieName(request: FastifyRequest): string {
  return cookieNameFor(request, COOKIE);
}

export function sessionCookie(request: FastifyRequest, value: string, maxAgeSeconds: number) {
  return sessionCookieFor(request, COOKIE, value, maxAgeSeconds);
}

export function readCookie(request: FastifyRequest): string | undefined {
  return readCookieFor(request, COOKIE);
}

/** `?lang=` when it names a language the centre speaks, else the session's, else the browser's, else Russian. */
export function languageOf(
  request: FastifyRequest,
  fallback: CentreLanguage | null = null,
): CentreLanguage {
  const asked = (request.query as Record<string, unknown> | undefined)?.lang;
  const bodyLang = (request.body as Record<string, unknown> | undefined)?.lang;
  for (const value of [asked, bodyLang])
    if (typeof value === 'string' && (CENTRE_LANGUAGES as readonly string[]).includes(value))
      return value as CentreLanguage;
  if (fallback) return fallback;
  const accept = request.headers['accept-language'];
  if (typeof accept === 'string') {
    const ranked = accept
      .split(',')
      .map((part, i) => {
        const [tag, ...params] = part.trim().toLowerCase().split(';');
        const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)).find(Boolean);
        return { primary: tag.split('-')[0], q: q ? Number(q[1]) : 1, i };
      })
      .filter((x) => x.q > 0)
      .sort((a, b) => b.q - a.q || a.i - b.i);
    for (const { primary } of ranked)
      if ((CENTRE_LANGUAGES as readonly string[]).includes(primary))
        return primary as CentreLanguage;
  }
  return 'ru';
}

export function gpcOf(request: FastifyRequest): boolean {
  const header = request.headers['sec-gpc'];
  return typeof header === 'string' && header.trim() === '1';
}

/** A refusal the centre shows as a page of its own (the filter renders it). */
export class CentrePageError extends Error {
  override readonly name = 'CentrePageError';
  constructor(
    readonly status: number,
    readonly page: 'linkExpired' | 'linkInvalid' | 'sessionOver' | 'formExpired' | 'erased',
  ) {
    super(page);
  }

  static fromToken(error: CentreTokenError, what: 'link' | 'session'): CentrePageError {
    if (what === 'session') return new CentrePageError(401, 'sessionOver');
    return error.reason === 'expired'
      ? new CentrePageError(410, 'linkExpired')
      : new CentrePageError(400, 'linkInvalid');
  }
}
