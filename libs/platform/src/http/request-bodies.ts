import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorBody } from './http-error.filter';

export interface RequestBodyLimits {
  /** The largest body accepted, in bytes (Fastify's `bodyLimit`). */
  bodyLimit: number;
  /** How deep objects and arrays may nest in a JSON body; deeper is a 400 before any validation. */
  maxDepth: number;
  /**
   * How much of a body over the limit is read and thrown away before the 413 is sent, so the
   * client, still sending, reads the answer instead of a reset connection; and for how long.
   */
  drainBytes: number;
  drainMs: number;
}

export const DEFAULT_BODY_LIMITS: RequestBodyLimits = {
  bodyLimit: 2 * 1024 * 1024,
  maxDepth: 32,
  drainBytes: 16 * 1024 * 1024,
  drainMs: 10_000,
};

/** A refusal of the body as a whole: `details: [{ field: 'body', problem }]`. */
export class BodyRefusedError extends Error {
  override readonly name = 'BodyRefusedError';
  constructor(
    readonly statusCode: number,
    readonly problem: string,
    readonly field = 'body',
  ) {
    super(`invalid request: ${field} ${problem}`);
  }
}

/**
 * How bodies are read, before any route, guard or validation pipe sees them:
 *
 * - JSON is parsed by this parser: a body nested deeper than `maxDepth` is refused while it is
 *   still text (class-transformer and class-validator recurse, and a few thousand levels would
 *   overflow their stack), and a key named like one of Object.prototype's (`__proto__`,
 *   `constructor`, `valueOf`...) anywhere is refused naming its path (`profile.constructor`).
 * - A body whose `Content-Length` is over the limit is read and thrown away (up to
 *   `drainBytes` and `drainMs`) before the 413 is sent: closing the connection while the
 *   client still sends would reset it, and the client would never read the answer.
 */
export function limitRequestBodies(
  fastify: FastifyInstance,
  limits: RequestBodyLimits = DEFAULT_BODY_LIMITS,
): void {
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: limits.bodyLimit },
    (_request, body, done) => {
      try {
        done(null, parseJsonBody(body as string, limits.maxDepth));
      } catch (error) {
        done(error as Error, undefined);
      }
    },
  );
  fastify.addHook('onRequest', (request, reply, done) => {
    const length = Number(request.headers['content-length']);
    if (!Number.isFinite(length) || length <= limits.bodyLimit) return done();
    drainThenRefuse(request, reply, length, limits);
  });
}

/** Parses a JSON body, refusing excessive nesting before parsing and prototype keys after. */
export function parseJsonBody(text: string, maxDepth: number): unknown {
  if (text.trim() === '')
    throw new BodyRefusedError(400, 'must not be empty when a JSON content type is sent');
  if (nestingExceeds(text, maxDepth))
    throw new BodyRefusedError(400, `is nested more than ${maxDepth} levels deep`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The parser's message quotes the text around the fault: it may hold a personal value.
    throw new BodyRefusedError(400, 'is not valid JSON');
  }
  const reserved = reservedKeyPath(value);
  if (reserved) throw new BodyRefusedError(400, 'is not a field of this request', reserved);
  return value;
}

/** Whether objects and arrays in the JSON text nest deeper than `max` (strings skipped). */
function nestingExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > max) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return false;
}

/**
 * Keys no body may hold: the names every object already has (`__proto__`, `constructor`,
 * `toString`, `valueOf`...). A `__proto__` key could replace an object's prototype, and
 * class-transformer skips (or crashes on) keys named like an object's own methods, so a
 * `profile.constructor` would otherwise be dropped silently instead of refused.
 */
const OBJECT_KEYS: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

/** The path of the first key named like one of Object.prototype's, in a parsed body. */
function reservedKeyPath(root: unknown): string | null {
  const pending: Array<[unknown, string]> = [[root, '']];
  while (pending.length > 0) {
    const [value, path] = pending.pop()!;
    if (value === null || typeof value !== 'object') continue;
    for (const key of Object.keys(value)) {
      const at = path ? `${path}.${key}` : key;
      if (OBJECT_KEYS.has(key)) return at;
      pending.push([(value as Record<string, unknown>)[key], at]);
    }
  }
  return null;
}

function drainThenRefuse(
  request: FastifyRequest,
  reply: FastifyReply,
  length: number,
  limits: RequestBodyLimits,
): void {
  const raw = request.raw;
  let received = 0;
  let answered = false;
  const answer = () => {
    if (answered) return;
    answered = true;
    clearTimeout(timer);
    raw.off('data', count);
    raw.off('end', answer);
    raw.off('error', answer);
    // Whatever was not read stays unread: the connection cannot be reused.
    if (received < length) void reply.header('connection', 'close');
    else raw.resume();
    const body: ErrorBody = {
      statusCode: 413,
      error: 'Payload Too Large',
      message: `the body is larger than ${limits.bodyLimit} bytes`,
      details: [{ field: 'body', problem: `must be at most ${limits.bodyLimit} bytes` }],
    };
    void reply.code(413).send(body);
  };
  const count = (chunk: Buffer) => {
    received += chunk.length;
    if (received >= Math.min(length, limits.drainBytes)) answer();
  };
  const timer = setTimeout(answer, limits.drainMs);
  raw.on('data', count);
  raw.once('end', answer);
  raw.once('error', answer);
}
