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
    body: text ? JSON.parse(text) : null,
  };
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

  private headers(extra: Record<string, string>): Record<string, string> {
    return {
      ...(this.key ? { authorization: `Bearer ${this.key}` } : {}),
      ...(this.role ? { 'x-custodian-role': this.role } : {}),
      ...extra,
    };
  }
}
