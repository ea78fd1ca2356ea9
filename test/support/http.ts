/** A JSON response as the tests read it: status plus a loosely typed body. */
export interface JsonResponse {
  status: number;
  headers: Headers;
  // Tests assert on response shapes; an open type keeps those assertions readable.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export async function request(url: string, init: RequestInit = {}): Promise<JsonResponse> {
  const response = await fetch(url, init);
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? parseBody(text, response.headers.get('content-type')) : null,
  };
}

/** JSON bodies parsed; a body of another type (Prometheus text, HTML) is kept as text. */
function parseBody(text: string, contentType: string | null): unknown {
  if (contentType !== null && !/json/i.test(contentType)) return text;
  return JSON.parse(text);
}

/** A caller of the API with one actor's key, optionally acting in a named role. */
export class ApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly key: string | null,
    private readonly role?: string,
  ) {}

  as(role: string): ApiClient {
    return new ApiClient(this.baseUrl, this.key, role);
  }

  get(path: string, headers: Record<string, string> = {}): Promise<JsonResponse> {
    return request(`${this.baseUrl}${path}`, { headers: this.headers(headers) });
  }

  post(path: string, body?: unknown, headers: Record<string, string> = {}): Promise<JsonResponse> {
    return this.request('POST', path, body, headers);
  }

  request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<JsonResponse> {
    return request(`${this.baseUrl}${path}`, {
      method,
      headers: this.headers({
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      }),
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  /** The headers this client sends (for requests made without it, such as event streams). */
  headersFor(extra: Record<string, string> = {}): Record<string, string> {
    return this.headers(extra);
  }

  private headers(extra: Record<string, string>): Record<string, string> {
    return {
      ...(this.key ? { authorization: `Bearer ${this.key}` } : {}),
      ...(this.role ? { 'x-custodian-role': this.role } : {}),
      ...extra,
    };
  }
}

export interface EventStreamClient {
  status: number;
  /** An error body (JSON), when the stream was refused. */
  body: unknown;
  /** Server-sent events received so far. */
  events: Array<{ event: string; id?: string; data: unknown }>;
  /** Settles when the server has ended the stream (or it was closed here). */
  ended: Promise<void>;
  close(): void;
}

/** Opens a server-sent-events stream and collects its events until closed. */
export async function openEventStream(
  url: string,
  headers: Record<string, string>,
): Promise<EventStreamClient> {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  const events: EventStreamClient['events'] = [];
  const isStream = response.headers.get('content-type')?.startsWith('text/event-stream');
  if (!isStream) {
    const text = await response.text();
    return {
      status: response.status,
      body: text ? JSON.parse(text) : null,
      events,
      ended: Promise.resolve(),
      close: () => {},
    };
  }
  const ended = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body!) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields: Record<string, string> = {};
        for (const line of block.split('\n')) {
          const colon = line.indexOf(':');
          if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1).trimStart();
        }
        if (fields.data !== undefined)
          events.push({
            event: fields.event ?? 'message',
            id: fields.id,
            data: JSON.parse(fields.data),
          });
      }
    }
  })().catch(() => undefined);
  return { status: response.status, body: null, events, ended, close: () => controller.abort() };
}
