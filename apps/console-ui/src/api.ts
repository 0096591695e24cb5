import { session } from './session';

export const NETWORKING = '/apis/networking.ironcore.dev/v1alpha1';
export const ADMIN = '/apis/natgw.ironcore.dev/v1alpha1';

/** A failed API call, with the API's Status message (401, 403 and 4xx are shown as they are). */
export class ApiFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

function headers(): Record<string, string> {
  const token = session.token();
  return token ? { authorization: `Bearer ${token}`, accept: 'application/json' } : {};
}

async function failure(res: Response): Promise<ApiFailure> {
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { message?: string };
    if (body.message) message = `${res.status}: ${body.message}`;
  } catch {
    // not a Status: keep the HTTP status line
  }
  return new ApiFailure(res.status, message);
}

/** GET a JSON document of the API with the session's token. */
export async function get<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, { headers: headers(), signal });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

/** `$A/namespaces/<ns>/<plural>`, or `$A/<plural>` across namespaces for "*". */
export function collection(namespace: string, plural: string): string {
  return namespace === '*'
    ? `${NETWORKING}/${plural}`
    : `${NETWORKING}/namespaces/${encodeURIComponent(namespace)}/${plural}`;
}

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/**
 * Follows a watch (`?watch=true`) from a resourceVersion: calls `onEvent` for each
 * line of the stream until the server ends it or `signal` aborts. The token goes in
 * the header, as for every call (EventSource cannot send one).
 */
export async function watch<T>(
  path: string,
  resourceVersion: string,
  onEvent: (e: WatchEvent<T>) => void,
  signal: AbortSignal,
): Promise<void> {
  const url = `${path}?watch=true&allowWatchBookmarks=true&resourceVersion=${encodeURIComponent(resourceVersion)}`;
  const res = await fetch(url, { headers: headers(), signal });
  if (!res.ok || !res.body) throw await failure(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffered += value;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line) onEvent(JSON.parse(line) as WatchEvent<T>);
    }
  }
}

export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
