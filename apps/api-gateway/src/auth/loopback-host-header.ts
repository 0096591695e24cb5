import { isLoopbackHost } from '../api-gateway.config';

/** The host name of a Host header, without its port and IPv6 brackets, lower-cased. */
function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end < 0 ? h : h.slice(1, end);
  }
  const colon = h.lastIndexOf(':');
  return colon < 0 ? h : h.slice(0, colon);
}

/**
 * True when the Host header names this machine: `localhost` (or a `*.localhost`
 * name, which browsers resolve to loopback themselves), `127.0.0.0/8` or `[::1]`,
 * with any port. Without a tokens file every request is admin, and binding to
 * loopback alone does not stop a browser: a page on evil.example whose name is
 * re-pointed at 127.0.0.1 (DNS rebinding) reaches the API with `Host: evil.example`.
 */
export function isLoopbackHostHeader(header: string | undefined): boolean {
  if (header === undefined) return false;
  const name = hostName(header);
  return isLoopbackHost(name) || name.endsWith('.localhost');
}
