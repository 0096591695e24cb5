import { useEffect, useState } from 'preact/hooks';
import { errorText, get } from './api';

export interface Loaded<T> {
  data?: T;
  error?: string;
  loading: boolean;
}

/** GETs `path` (again when it or `refresh` changes, keeping the last answer meanwhile); null skips the call. */
export function useGet<T>(path: string | null, refresh = 0): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ loading: path !== null });
  useEffect(() => {
    if (path === null) return;
    const abort = new AbortController();
    setState((s) => ({ data: s.data, loading: true }));
    get<T>(path, abort.signal).then(
      (data) => setState({ data, loading: false }),
      (e: unknown) => {
        if (!abort.signal.aborted) setState({ error: errorText(e), loading: false });
      },
    );
    return () => abort.abort();
  }, [path, refresh]);
  return state;
}
