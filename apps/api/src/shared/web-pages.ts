import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Pieces the app's server-rendered pages share (the privacy centre, the compliance console):
 * escaping, strict security headers, HttpOnly SameSite=Strict session cookies and CSRF tokens.
 */

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * Headers for a page: the given Content-Security-Policy, no sniffing, no framing, no referrer,
 * nothing cached, no cross-origin window or resource sharing.
 */
export function pageHeaders(contentSecurityPolicy: string): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
  };
}

export function sendPage(
  reply: FastifyReply,
  status: number,
  html: string,
  headers: Record<string, string>,
): FastifyReply {
  return reply.status(status).headers(headers).type('text/html; charset=utf-8').send(html);
}

/** A static asset of the app's own (stylesheet or script), cached for an hour. */
export function sendAsset(reply: FastifyReply, type: string, body: string): FastifyReply {
  return reply
    .status(200)
    .header('x-content-type-options', 'nosniff')
    .header('cache-control', 'public, max-age=3600')
    .type(`${type}; charset=utf-8`)
    .send(body);
}

function isHttps(request: FastifyRequest): boolean {
  return request.protocol === 'https';
}

/** A session cookie's name: `__Host-` prefixed (and Secure) over https. */
export function cookieNameFor(request: FastifyRequest, base: string): string {
  return isHttps(request) ? `__Host-${base}` : base;
}

/** `Set-Cookie` for a session: HttpOnly, SameSite=Strict, Path=/, Secure over https. */
export function sessionCookieFor(
  request: FastifyRequest,
  base: string,
  value: string,
  maxAgeSeconds: number,
): string {
  const attributes = ['Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${maxAgeSeconds}`];
  if (isHttps(request)) attributes.push('Secure');
  return `${cookieNameFor(request, base)}=${value}; ${attributes.join('; ')}`;
}

export function readCookieFor(request: FastifyRequest, base: string): string | undefined {
  const header = request.headers.cookie;
  if (typeof header !== 'string') return undefined;
  const name = cookieNameFor(request, base);
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** A session's CSRF token: an HMAC of its id (a form sends it back; it is not in the cookie). */
export function csrfTokenFor(key: Buffer, sessionId: string): string {
  return createHmac('sha256', key).update(sessionId).digest('base64url');
}

export function csrfTokenMatches(key: Buffer, sessionId: string, sent: unknown): boolean {
  if (typeof sent !== 'string') return false;
  const expected = Buffer.from(csrfTokenFor(key, sessionId));
  const given = Buffer.from(sent);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
