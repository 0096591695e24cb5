import { useEffect, useState } from 'preact/hooks';

/** The page address after `#`: a path and query, e.g. `/gateways/default/gw` or `/events?stream=...`. */
export interface Route {
  path: string[];
  query: URLSearchParams;
}

function current(): Route {
  const hash = location.hash.replace(/^#/, '') || '/gateways';
  const [path, query = ''] = hash.split('?');
  return {
    path: path.split('/').filter(Boolean).map(decodeURIComponent),
    query: new URLSearchParams(query),
  };
}

/** The current route; re-renders on navigation (links are plain `#/...` anchors). */
export function useRoute(): Route {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const onChange = () => setRoute(current());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

/** `#/a/b?k=v` with every part encoded. */
export function href(path: string[], query: Record<string, string> = {}): string {
  const q = new URLSearchParams(query).toString();
  return `#/${path.map(encodeURIComponent).join('/')}${q ? `?${q}` : ''}`;
}

export function navigate(path: string[], query: Record<string, string> = {}): void {
  location.hash = href(path, query);
}
