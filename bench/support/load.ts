/** HTTP load with autocannon: every response's latency kept, answers counted and sampled. */
import autocannon from 'autocannon';
import type { ApiServer } from './api-server';
import { BenchFailure } from './http';
import { formatInt, percentiles } from './stats';

export interface LoadSpec {
  seconds: number;
  connections: number;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  /** The body of every request, unless `next` gives one. */
  body?: string;
  /** The path (and body, if it varies) of each request. */
  next: () => { path: string; body?: string };
  /** Whether an answer counts as ok; it may keep something of the answer. */
  isOk: (status: number, body: string) => boolean;
}

export interface LoadResult {
  seconds: number;
  /** Answers that `isOk` accepted. */
  ok: number;
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** The first few answers not ok: status and the start of the body. */
  sampleFailures: string[];
}

export function runLoad(server: Pick<ApiServer, 'baseUrl'>, spec: LoadSpec): Promise<LoadResult> {
  const latencies: number[] = [];
  const sampleFailures: string[] = [];
  let ok = 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: server.baseUrl,
        connections: spec.connections,
        pipelining: 1,
        duration: spec.seconds,
        timeout: 10,
        method: spec.method,
        headers: spec.headers,
        ...(spec.body === undefined ? {} : { body: spec.body }),
        requests: [
          {
            setupRequest: (request) => ({ ...request, ...spec.next() }),
            onResponse: (status, body) => {
              if (spec.isOk(status, body)) ok++;
              else if (sampleFailures.length < 5)
                sampleFailures.push(`${status} ${body.slice(0, 300)}`);
            },
          },
        ],
      },
      (error, result) => {
        if (error) return reject(error);
        const [p50, p99, max] = percentiles(latencies, [50, 99, 100]);
        const statusCodes: Record<string, number> = {};
        for (const [code, stats] of Object.entries(result.statusCodeStats ?? {}))
          statusCodes[code] = stats.count ?? 0;
        resolve({
          seconds: result.duration,
          ok,
          perSecond: ok / result.duration,
          p50,
          p99,
          max,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          statusCodes,
          sampleFailures,
        });
      },
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => {
      latencies.push(responseTime);
    });
  });
}

/** Fails loudly on any non-2xx answer or connection error, or when nothing was ok. */
export function checkLoad(what: string, load: LoadResult, okNoun: string): void {
  if (load.non2xx === 0 && load.errors === 0 && load.ok > 0) return;
  throw new BenchFailure(
    [
      `${what}: ${formatInt(load.non2xx)} non-2xx responses, ${formatInt(load.errors)} errors ` +
        `(${formatInt(load.timeouts)} timeouts), ${formatInt(load.ok)} ${okNoun}`,
      `status codes: ${JSON.stringify(load.statusCodes)}`,
      ...load.sampleFailures.map((f) => `  e.g. ${f}`),
    ].join('\n'),
  );
}
