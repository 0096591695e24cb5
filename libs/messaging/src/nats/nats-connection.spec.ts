import { InvalidNatsUrlError, natsClientOptions, parseNatsServers } from './nats-connection';

describe('parseNatsServers', () => {
  it('splits a comma-separated NATS_URL into host:port servers', () => {
    expect(parseNatsServers('nats://a:4222, nats://b:5222,nats://c')).toEqual({
      servers: ['a:4222', 'b:5222', 'c:4222'],
      tls: false,
    });
  });

  it('requires TLS when any server is tls:// and takes credentials from the URL', () => {
    expect(parseNatsServers(['tls://user:p%40ss@nats.example:4443'])).toEqual({
      servers: ['nats.example:4443'],
      tls: true,
      user: 'user',
      password: 'p@ss',
    });
  });

  it('rejects other schemes and empty input, naming the URL', () => {
    expect(() => parseNatsServers('http://a:4222')).toThrow(InvalidNatsUrlError);
    expect(() => parseNatsServers('http://a:4222')).toThrow(
      /"http:\/\/a:4222".*nats:\/\/ or tls:\/\//,
    );
    expect(() => parseNatsServers(' , ')).toThrow(/no server given/);
    expect(() => parseNatsServers('not a url')).toThrow(/not a URL/);
  });
});

describe('natsClientOptions', () => {
  it('reconnects forever with a growing, capped delay', () => {
    const o = natsClientOptions({
      servers: 'nats://127.0.0.1:4222',
      reconnectBackoff: { initialMs: 100, maxMs: 400 },
    });
    expect(o.reconnect).toBe(true);
    expect(o.maxReconnectAttempts).toBe(-1);
    const delays = Array.from({ length: 5 }, () => o.reconnectDelayHandler?.());
    expect(delays).toEqual([100, 200, 400, 400, 400]);
  });

  it('passes user/password, token and TLS settings through', () => {
    const o = natsClientOptions({
      servers: 'tls://h:4222',
      user: 'u',
      password: 'p',
      token: 't',
      tls: { caFile: '/ca.pem' },
    });
    expect(o).toMatchObject({ user: 'u', pass: 'p', token: 't', tls: { caFile: '/ca.pem' } });
    expect(natsClientOptions({ servers: 'nats://h' }).tls).toBeUndefined();
  });

  it('uses a creds file through an authenticator', () => {
    const o = natsClientOptions({ servers: 'nats://h', credsFile: '/nonexistent.creds' });
    expect(typeof o.authenticator).toBe('function');
  });

  it('uses an nkey seed file through an authenticator and sets the inbox prefix', () => {
    const o = natsClientOptions({
      servers: 'nats://h',
      nkeySeedFile: '/nonexistent.nk',
      inboxPrefix: '_INBOX.natgw-allocator',
    });
    expect(typeof o.authenticator).toBe('function');
    expect(o.inboxPrefix).toBe('_INBOX.natgw-allocator');
    expect(natsClientOptions({ servers: 'nats://h' }).inboxPrefix).toBeUndefined();
  });
});
