import { stopApp } from '@custodian/platform';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEventStream, startTestApp, waitFor } from '@test/support';

/** Sends a request and resolves with its status, or with the socket error that ended it. */
function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; agent?: Agent },
  write?: (req: ReturnType<typeof httpRequest>) => void,
): Promise<number | string> {
  return new Promise((resolve) => {
    const req = httpRequest(url, options, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    if (write) write(req);
    else req.end();
  });
}

describe('stopping the API (HTTP, embedded stores)', () => {
  const logged = () => {
    const lines: string[] = [];
    return {
      lines,
      log: { log: (m: string) => lines.push(m), error: (m: string) => lines.push(m) },
    };
  };

  it('finishes the request in flight, refuses new ones, ends event streams and does not wait on kept-alive connections', async () => {
    const t = await startTestApp();
    const auth = { authorization: `Bearer ${t.keys.admin}` };
    // A server-sent-events stream never ends by itself, and a kept-alive connection stays
    // open for its keep-alive timeout: neither may hold the stop.
    const stream = await openEventStream(`${t.baseUrl}/v1/dashboard/anomalies/stream`, auth);
    expect(stream.status).toBe(200);
    const keepAlive = new Agent({ keepAlive: true });
    expect(await send(`${t.baseUrl}/health`, { agent: keepAlive })).toBe(200);

    // A request whose body is still arriving when the stop begins.
    let finishBody!: () => void;
    const inFlight = send(
      `${t.baseUrl}/v1/purposes`,
      { method: 'POST', headers: { ...auth, 'content-type': 'application/json' } },
      (req) => {
        req.write('{"purposeId": ');
        finishBody = () => req.end('"half"}');
      },
    );
    await new Promise((resolve) => setTimeout(resolve, 100));

    const { lines, log } = logged();
    const stopping = stopApp(t.app, { timeoutMs: 20_000, drainMs: 15_000, log });
    // Once stopping, the server answers new requests with 503 until it closes.
    expect(await send(`${t.baseUrl}/health`, {})).toBe(503);
    finishBody();
    // The request in flight got its answer (a 400 for its incomplete body), not a reset.
    expect(await inFlight).toBe(400);
    expect(await stopping).toMatchObject({ completed: true, pending: [] });
    // The event stream was ended by the stop, not cut when the drain ran out of time.
    expect(lines).toEqual([]);
    stream.close();
    keepAlive.destroy();
    rmSync(t.dataDir, { recursive: true, force: true });
  });

  it('closes a request that does not finish within the drain bound instead of waiting for it', async () => {
    const t = await startTestApp();
    const stuck = send(
      `${t.baseUrl}/v1/purposes`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${t.keys.admin}`, 'content-type': 'application/json' },
      },
      (req) => req.write('{"purposeId": '), // and never the rest
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const { lines, log } = logged();
    const outcome = await stopApp(t.app, { timeoutMs: 20_000, drainMs: 300, log });
    expect(outcome).toMatchObject({ completed: true, pending: [] });
    expect(lines).toEqual([
      'stopping: 1 request(s) still in flight after 300 ms; their connections are closed',
    ]);
    expect(await stuck).toMatch(/ECONNRESET|socket hang up/);
    rmSync(t.dataDir, { recursive: true, force: true });
  });
});

const REGISTER_TS = join(__dirname, 'support', 'register-ts.cjs');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('the API process on SIGTERM', () => {
  it('stops with an event stream open and exits 0, saying how long it took', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'custodian-sigterm-'));
    const port = await freePort();
    const child = spawn(process.execPath, ['-r', REGISTER_TS, 'apps/api/src/main.ts'], {
      env: { ...process.env, CUSTODIAN_DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const base = `http://127.0.0.1:${port}`;
    try {
      await waitFor(async () => (await send(`${base}/health`, {})) === 200, 20_000);
      const { actors } = JSON.parse(readFileSync(join(dataDir, 'actors.json'), 'utf8')) as {
        actors: Array<{ apiKey: string }>;
      };
      const stream = await openEventStream(`${base}/v1/dashboard/anomalies/stream`, {
        authorization: `Bearer ${actors[0].apiKey}`,
      });
      expect(stream.status).toBe(200);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output).toMatch(/SIGTERM: stopping \(at most 10000 ms\)/);
      expect(output).toMatch(/stopped in \d+ ms/);
      stream.close();
    } finally {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
