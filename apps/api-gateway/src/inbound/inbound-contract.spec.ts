import { isAllowedInboundReply, systemInboundSubject } from './inbound-contract';

describe('isAllowedInboundReply', () => {
  it('allows only inboxes: _INBOX.… and the _R_.… replies NATS makes across accounts', () => {
    expect(isAllowedInboundReply('_INBOX.ext.abc')).toBe(true);
    expect(isAllowedInboundReply('_R_.aBc.dEf')).toBe(true);
    for (const hostile of [
      '$JS.API.STREAM.PURGE.NATGW_EVENTS',
      '$JS.API.STREAM.DELETE.NATGW_EVENTS',
      'natgw.events.natgateway.NATGatewayCreated',
      'natgw.inbound.networkinterfaces.upsert',
      '_INBOX.',
      '_R_.',
      '_INBOXX.a',
      'x._INBOX.a',
      '',
    ]) {
      expect({ hostile, allowed: isAllowedInboundReply(hostile) }).toEqual({
        hostile,
        allowed: false,
      });
    }
  });
});

describe('systemInboundSubject', () => {
  it('names the system as the token after <prefix>.inbound', () => {
    expect(systemInboundSubject('a.b', 'upsert', 'compute')).toBe(
      'a.b.inbound.compute.networkinterfaces.upsert',
    );
    expect(systemInboundSubject('natgw', 'delete')).toBe(
      'natgw.inbound.*.networkinterfaces.delete',
    );
  });
});
