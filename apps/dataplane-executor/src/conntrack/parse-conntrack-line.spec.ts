import { ConntrackParseError, parseConntrackLine } from './parse-conntrack-line';
import { parseConntrackStats } from './conntrack-stats';
import { parseReplyTuple } from './parse-reply-tuple';

// Captured from `conntrack -L -o extended` and /proc/net/nf_conntrack in a gateway namespace
// (conntrack-tools 1.4.7) after TCP, UDP and ICMP through a NIC with the slot 1024-1027.
const CLI_TCP =
  'ipv4     2 tcp      6 118 TIME_WAIT src=10.200.0.2 dst=198.51.100.2 sport=46102 dport=8080 src=198.51.100.2 dst=203.0.113.1 sport=8080 dport=1026 [ASSURED] mark=0 use=1';
const CLI_UDP =
  'ipv4     2 udp      17 28 src=10.200.0.2 dst=198.51.100.2 sport=45673 dport=8081 src=198.51.100.2 dst=203.0.113.1 sport=8081 dport=1024 mark=0 use=1';
const CLI_ICMP =
  'ipv4     2 icmp     1 29 src=10.200.0.2 dst=198.51.100.2 type=8 code=0 id=77 src=198.51.100.2 dst=203.0.113.1 type=0 code=0 id=1027 mark=0 use=1';
const CLI_V6 =
  'ipv6     10 tcp      6 119 TIME_WAIT src=fd00:200::2 dst=2001:db8:ffff::2 sport=43222 dport=8080 src=2001:db8:ffff::2 dst=2001:db8:100::1 sport=8080 dport=1024 [ASSURED] mark=0 use=1';
const PROC_V6 =
  'ipv6     10 tcp      6 119 TIME_WAIT src=fd00:0200:0000:0000:0000:0000:0000:0002 dst=2001:0db8:ffff:0000:0000:0000:0000:0002 sport=43222 dport=8080 src=2001:0db8:ffff:0000:0000:0000:0000:0002 dst=2001:0db8:0100:0000:0000:0000:0000:0001 sport=8080 dport=1024 [ASSURED] mark=0 zone=0 use=2';
const EVENT =
  '[1765130000.123456]	    [NEW] ipv4     2 tcp      6 120 SYN_SENT src=10.77.0.2 dst=198.51.100.2 sport=40000 dport=80 [UNREPLIED] src=198.51.100.2 dst=203.0.113.9 sport=80 dport=2048 mark=2 orig-zone=2';

describe('parseConntrackLine', () => {
  it('parses a TCP entry of the CLI: both tuples, state, timeout, flags', () => {
    expect(parseConntrackLine(CLI_TCP)).toEqual({
      family: 'IPv4',
      protocol: 'tcp',
      protocolNumber: 6,
      timeout: 118,
      state: 'TIME_WAIT',
      original: { src: '10.200.0.2', dst: '198.51.100.2', sport: 46102, dport: 8080 },
      reply: { src: '198.51.100.2', dst: '203.0.113.1', sport: 8080, dport: 1026 },
      flags: ['ASSURED'],
      mark: 0,
      zone: 0,
      originalZone: 0,
      replyZone: 0,
    });
  });

  it('parses UDP (no state) and ICMP (type, code, id)', () => {
    const udp = parseConntrackLine(CLI_UDP);
    expect(udp?.state).toBeUndefined();
    expect(udp?.timeout).toBe(28);
    expect(udp?.reply).toEqual({
      src: '198.51.100.2',
      dst: '203.0.113.1',
      sport: 8081,
      dport: 1024,
    });
    const icmp = parseConntrackLine(CLI_ICMP);
    expect(icmp?.protocol).toBe('icmp');
    expect(icmp?.original).toEqual({
      src: '10.200.0.2',
      dst: '198.51.100.2',
      type: 8,
      code: 0,
      id: 77,
    });
    expect(icmp?.reply.id).toBe(1027);
  });

  it('spells IPv6 canonically whether the CLI compressed it or procfs wrote it in full', () => {
    const cli = parseConntrackLine(CLI_V6);
    const proc = parseConntrackLine(PROC_V6);
    expect(proc?.reply.dst).toBe('2001:db8:100::1');
    expect(proc?.original.src).toBe('fd00:200::2');
    expect(proc?.original).toEqual(cli?.original);
    expect(proc?.reply).toEqual(cli?.reply);
  });

  it('parses an event line with its timestamp, kind and original-direction zone', () => {
    const entry = parseConntrackLine(EVENT);
    expect(entry).toMatchObject({
      event: 'NEW',
      timestamp: 1765130000.123456,
      state: 'SYN_SENT',
      flags: ['UNREPLIED'],
      mark: 2,
      zone: 2,
      originalZone: 2,
      replyZone: 0,
    });
    expect(entry?.reply.dst).toBe('203.0.113.9');
  });

  it('parses a DESTROY event, which has no timeout', () => {
    const entry = parseConntrackLine(
      '[DESTROY] ipv4     2 udp      17 src=10.0.0.2 dst=1.1.1.1 sport=5000 dport=53 src=1.1.1.1 dst=203.0.113.1 sport=53 dport=1100 zone=3',
    );
    expect(entry).toMatchObject({ event: 'DESTROY', zone: 3, originalZone: 3, replyZone: 3 });
    expect(entry?.timeout).toBeUndefined();
  });

  it('returns undefined for the summary line and blank lines', () => {
    expect(
      parseConntrackLine('conntrack v1.4.7 (conntrack-tools): 7 flow entries have been shown.'),
    ).toBeUndefined();
    expect(parseConntrackLine('   ')).toBeUndefined();
  });

  it('rejects malformed lines, naming what is wrong', () => {
    expect(() => parseConntrackLine('ipx 2 tcp 6 1 src=a')).toThrow(/no family/);
    expect(() => parseConntrackLine('ipv4 2 tcp 6 10 src=10.0.0.1 dst=10.0.0.2')).toThrow(
      /original and a reply tuple/,
    );
    expect(() => parseConntrackLine('ipv4 2 tcp 6 10 src=10.0.0.1 dst=10.0.0.2 sport=x')).toThrow(
      ConntrackParseError,
    );
    expect(() => parseConntrackLine('ipv6 10 tcp 6 10 src=zz dst=::1 src=::1 dst=::2')).toThrow(
      /not an IPv6 address/,
    );
    expect(() => parseConntrackLine('[WHAT] ipv4 2 tcp 6 1')).toThrow(/unknown prefix/);
  });
});

describe('parseConntrackStats', () => {
  it('sums the per-CPU counters of conntrack -S', () => {
    const text = [
      'cpu=0   \tfound=1 invalid=2 insert=0 insert_failed=3 drop=3 early_drop=0 error=0 search_restart=4 clash_resolve=0 chaintoolong=0 ',
      'cpu=1   \tfound=0 invalid=0 insert=0 insert_failed=2 drop=1 early_drop=5 error=1 search_restart=0 clash_resolve=7 chaintoolong=0 ',
    ].join('\n');
    expect(parseConntrackStats(text)).toEqual({
      found: 1,
      invalid: 2,
      insert: 0,
      insertFailed: 5,
      drop: 4,
      earlyDrop: 5,
      error: 1,
      searchRestart: 4,
      clashResolve: 7,
    });
  });
});

describe('parseReplyTuple', () => {
  it('reads what parseConntrackLine reads of the reply direction, for every captured form', () => {
    for (const line of [CLI_TCP, CLI_UDP, CLI_ICMP, CLI_V6, PROC_V6, EVENT]) {
      const full = parseConntrackLine(line)!;
      expect(parseReplyTuple(line)).toEqual({
        protocolNumber: full.protocolNumber,
        src: full.reply.src,
        dst: full.reply.dst,
        ...(full.reply.sport !== undefined ? { sport: full.reply.sport } : {}),
        port: full.reply.dport ?? full.reply.id,
      });
    }
  });

  it('returns undefined for lines without two tuples', () => {
    expect(
      parseReplyTuple('conntrack v1.4.7 (conntrack-tools): 7 flow entries have been shown.'),
    ).toBeUndefined();
    expect(parseReplyTuple('ipv4 2 tcp 6 10 src=10.0.0.1 dst=10.0.0.2')).toBeUndefined();
  });
});
