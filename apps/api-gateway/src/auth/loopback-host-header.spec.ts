import { isLoopbackHostHeader } from './loopback-host-header';

describe('isLoopbackHostHeader', () => {
  it.each([
    'localhost',
    'localhost:8080',
    'LOCALHOST:8080',
    'app.localhost:3000',
    '127.0.0.1',
    '127.0.0.1:8080',
    '127.1.2.3:1',
    '[::1]',
    '[::1]:8080',
  ])('accepts %s', (host) => expect(isLoopbackHostHeader(host)).toBe(true));

  it.each([
    undefined,
    '',
    'evil.example',
    'evil.example:8080',
    'localhost.evil.example',
    '127.0.0.1.nip.io',
    '10.0.0.1:8080',
    '0.0.0.0:8080',
    '[::ffff:127.0.0.1]:8080',
    '[fe80::1]:8080',
  ])('refuses %s', (host) => expect(isLoopbackHostHeader(host)).toBe(false));
});
