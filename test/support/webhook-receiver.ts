import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  headers: Record<string, string>;
  body: string;
  at: number;
}

/**
 * A real HTTP receiver on 127.0.0.1 for webhook tests: records every request and answers as
 * `respond` says (by default 204 at once).
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  respond: (req: IncomingMessage, res: ServerResponse, body: string) => void = (_req, res) => {
    res.statusCode = 204;
    res.end();
  };
  private server!: Server;
  private readonly sockets = new Set<import('node:net').Socket>();

  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    receiver.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
        receiver.received.push({ headers, body, at: Date.now() });
        receiver.respond(req, res, body);
      });
    });
    receiver.server.on('connection', (s) => {
      receiver.sockets.add(s);
      s.on('close', () => receiver.sockets.delete(s));
    });
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  /** The parsed bodies received so far. */
  payloads(): Array<{
    eventId: string;
    type: string;
    position: string;
    data: Record<string, unknown>;
  }> {
    return this.received.map((r) => JSON.parse(r.body));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
