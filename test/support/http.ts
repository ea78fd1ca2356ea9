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
