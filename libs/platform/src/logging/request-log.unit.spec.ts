import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { Writable } from 'node:stream';
import { logRequests } from './request-log';
import { traceRequests } from './request-tracing';

/** A Fastify app with the request hooks of the API, logging into `lines`. */
function app(level: string, lines: Array<Record<string, unknown>>): FastifyInstance {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const fastify = Fastify({
    genReqId: (req) => String(req.headers['x-request-id'] ?? 'generated'),
  });
  traceRequests(fastify);
  logRequests(fastify, pino({ level }, sink));
  fastify.get('/v1/subjects/:subjectId/view', async () => ({ ok: true }));
  fastify.get('/boom', async () => {
    throw new Error('kaput');
  });
  return fastify;
}

describe('logRequests: one line per request, written by a Fastify hook', () => {
  it('logs id, method, route pattern, status and time, never the path asked for', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const fastify = app('info', lines);
    const ok = await fastify.inject({
      url: '/v1/subjects/ivan@example.com/view?purpose=x',
      headers: { 'x-request-id': 'r1' },
    });
    const missing = await fastify.inject({
      url: '/v1/customers/ivan@example.com',
      headers: { 'x-request-id': 'r2' },
    });
    const failed = await fastify.inject({ url: '/boom', headers: { 'x-request-id': 'r3' } });
    await fastify.close();
    expect([ok.statusCode, missing.statusCode, failed.statusCode]).toEqual([200, 404, 500]);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({
      level: 30,
      msg: 'request completed',
      req: { id: 'r1', method: 'GET', route: '/v1/subjects/:subjectId/view' },
      res: { statusCode: 200 },
    });
    expect(typeof lines[0].responseTime).toBe('number');
    expect(lines[1]).toMatchObject({
      msg: 'request completed',
      req: { id: 'r2', method: 'GET', route: '(no route)' },
      res: { statusCode: 404 },
    });
    expect(lines[2]).toMatchObject({
      msg: 'request errored',
      req: { id: 'r3', route: '/boom' },
      res: { statusCode: 500 },
      err: { message: 'failed with status code 500' },
    });
    expect(JSON.stringify(lines)).not.toContain('ivan');
  });

  it('writes nothing below level info', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const fastify = app('warn', lines);
    expect((await fastify.inject({ url: '/v1/subjects/a/view' })).statusCode).toBe(200);
    await fastify.close();
    expect(lines).toEqual([]);
  });
});
