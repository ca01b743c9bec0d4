/**
 * The page's only way to the gateway: requests to its own origin with the API key
 * the user gave, kept in sessionStorage (gone with the tab; never in a URL).
 */

const KEY_NAME = 'mcp-gateway.apiKey';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Seconds, from `Retry-After` on a 429. */
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

export class Api {
  get key(): string | null {
    return sessionStorage.getItem(KEY_NAME);
  }

  set key(value: string | null) {
    if (value === null) sessionStorage.removeItem(KEY_NAME);
    else sessionStorage.setItem(KEY_NAME, value);
  }

  get<T>(path: string): Promise<T> {
    return this.#request<T>('GET', path);
  }

  /** A JSON body to an action route (an approval, a replay). */
  post<T>(path: string, body: unknown): Promise<T> {
    return this.#request<T>('POST', path, JSON.stringify(body));
  }

  async #request<T>(method: 'GET' | 'POST', path: string, body?: string): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const key = this.key;
    if (key !== null) headers['x-api-key'] = key;
    let response: Response;
    try {
      response = await fetch(path, { method, headers, cache: 'no-store', credentials: 'omit', ...(body !== undefined ? { body } : {}) });
    } catch (error) {
      throw new ApiError(0, 'NETWORK', `the gateway did not answer (${error instanceof Error ? error.message : String(error)})`);
    }
    const answer: unknown = await response.json().catch(() => undefined);
    if (response.ok) return answer as T;
    const error = (answer as { error?: { code?: string; message?: string } } | undefined)?.error;
    const retryAfter = Number(response.headers.get('retry-after'));
    throw new ApiError(response.status, error?.code ?? `HTTP_${response.status}`, error?.message ?? response.statusText, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined);
  }
}
