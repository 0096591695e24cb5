import { ConfigError } from '@natgw/platform';
import { isLoopbackHost, loadApiGatewayConfig } from './api-gateway.config';

describe('ApiGatewayConfig', () => {
  it('binds to loopback by default, without tokens', () => {
    const c = loadApiGatewayConfig({});
    expect(c.API_HOST).toBe('127.0.0.1');
    expect(c.authGrants).toBeUndefined();
  });

  it('refuses a non-loopback API_HOST without AUTH_TOKENS_FILE, naming both', () => {
    expect(() => loadApiGatewayConfig({ API_HOST: '0.0.0.0' })).toThrow(ConfigError);
    expect(() => loadApiGatewayConfig({ API_HOST: '10.1.2.3' })).toThrow(
      /API_HOST=10.1.2.3 .*AUTH_TOKENS_FILE/,
    );
  });

  it.each([
    ['127.0.0.1', true],
    ['127.5.0.9', true],
    ['::1', true],
    ['localhost', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.1', false],
  ])('%s is loopback: %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });

  it('serves HTTPS only with both API_TLS_CERT_FILE and API_TLS_KEY_FILE, naming a file it cannot read', () => {
    expect(loadApiGatewayConfig({}).tls).toBeUndefined();
    expect(
      loadApiGatewayConfig({ API_TLS_CERT_FILE: '', API_TLS_KEY_FILE: '' }).tls,
    ).toBeUndefined();
    expect(() => loadApiGatewayConfig({ API_TLS_CERT_FILE: '/etc/natgw/tls.crt' })).toThrow(
      /API_TLS_CERT_FILE and API_TLS_KEY_FILE go together/,
    );
    expect(() =>
      loadApiGatewayConfig({
        API_TLS_CERT_FILE: '/nonexistent/tls.crt',
        API_TLS_KEY_FILE: '/nonexistent/tls.key',
      }),
    ).toThrow(/API_TLS_CERT_FILE=\/nonexistent\/tls.crt cannot be read/);
  });

  it('validates the watch settings', () => {
    expect(() => loadApiGatewayConfig({ WATCH_BOOKMARK_SECONDS: '0' })).toThrow(
      /WATCH_BOOKMARK_SECONDS/,
    );
    expect(() => loadApiGatewayConfig({ WATCH_HISTORY_SECONDS: 'x' })).toThrow(
      /WATCH_HISTORY_SECONDS/,
    );
  });

  it('defaults the limits, and refuses out-of-range ones naming the variable', () => {
    const c = loadApiGatewayConfig({});
    expect(c.MAX_PUBLIC_IPS_PER_GATEWAY).toBe(64);
    expect([c.RATE_LIMIT_QPS, c.RATE_LIMIT_BURST, c.RATE_LIMIT_WRITE_COST]).toEqual([50, 200, 2]);
    expect([c.MAX_WATCHES_PER_CLIENT, c.MAX_WATCHES_TOTAL, c.MAX_LIST_LIMIT]).toEqual([
      100, 2000, 500,
    ]);
    expect(
      loadApiGatewayConfig({ MAX_PUBLIC_IPS_PER_GATEWAY: '8' }).MAX_PUBLIC_IPS_PER_GATEWAY,
    ).toBe(8);
    expect(loadApiGatewayConfig({ RATE_LIMIT_QPS: '0' }).RATE_LIMIT_QPS).toBe(0);
    for (const [name, value] of [
      ['MAX_PUBLIC_IPS_PER_GATEWAY', '0'],
      ['MAX_PUBLIC_IPS_PER_GATEWAY', '1025'],
      ['RATE_LIMIT_QPS', '-1'],
      ['RATE_LIMIT_BURST', '0'],
      ['RATE_LIMIT_WRITE_COST', '1.5'],
      ['MAX_WATCHES_PER_CLIENT', '0'],
      ['MAX_WATCHES_TOTAL', 'many'],
      ['MAX_LIST_LIMIT', '0'],
    ]) {
      expect(() => loadApiGatewayConfig({ [name]: value })).toThrow(new RegExp(name));
    }
  });
});
