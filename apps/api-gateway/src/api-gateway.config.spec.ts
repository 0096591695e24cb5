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
});
