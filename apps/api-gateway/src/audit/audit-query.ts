import { isValidIp } from '@natgw/domain';
import { NAT_PROTOCOLS, NatProtocol, parseRfc3339 } from '@natgw/contracts';
import { apiErrors } from '../http/api-error';
import { QueryParams } from '../http/query-params';

function invalid(name: string, value: string, rule: string) {
  return apiErrors.badRequest(`query parameter "${name}" ${rule}, got ${JSON.stringify(value)}`, [
    { field: name, reason: 'FieldValueInvalid', message: rule },
  ]);
}

function required(query: QueryParams, name: string, example: string): string {
  const v = query.string(name);
  if (v === undefined || v === '') {
    throw apiErrors.badRequest(`query parameter "${name}" is required, e.g. ${name}=${example}`, [
      { field: name, reason: 'FieldValueRequired', message: 'Required value' },
    ]);
  }
  return v;
}

/** `at`: the instant to look at, an RFC 3339 timestamp with a time zone. */
export function parseAt(query: QueryParams): Date {
  const text = required(query, 'at', '2026-11-26T10:42:00Z');
  const at = parseRfc3339(text);
  if (!at) {
    throw invalid(
      'at',
      text,
      'must be an RFC 3339 timestamp with a time zone, e.g. 2026-11-26T10:42:00Z',
    );
  }
  return at;
}

/** The parameters of a natlookup: public IP, source port, instant, optional protocol. */
export interface NatLookupQuery {
  ip: string;
  port: number;
  at: Date;
  protocol?: NatProtocol;
}

/** Reads and checks the natlookup parameters; a bad one is a 400 naming it. */
export function parseNatLookupQuery(query: QueryParams): NatLookupQuery {
  const ip = required(query, 'ip', '203.0.113.7');
  if (!isValidIp(ip)) throw invalid('ip', ip, 'must be an IPv4 or IPv6 address');
  const portText = required(query, 'port', '40123');
  if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) > 65535) {
    throw invalid('port', portText, 'must be a port number between 0 and 65535');
  }
  const at = parseAt(query);
  const protocol = query.string('protocol');
  if (protocol !== undefined && !(NAT_PROTOCOLS as readonly string[]).includes(protocol)) {
    throw invalid('protocol', protocol, `must be one of ${NAT_PROTOCOLS.join(', ')}`);
  }
  return {
    ip,
    port: Number(portText),
    at,
    ...(protocol !== undefined ? { protocol: protocol as NatProtocol } : {}),
  };
}
