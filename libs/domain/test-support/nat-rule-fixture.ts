import type { NatRule } from '../src/dataplane/nat-rule';

/** An IPv4 NAT rule for tests: nic-a of gw-1, 10.0.0.2 as 203.0.113.1:1024-2047, with `over` on top. */
export function natRuleFixture(over: Partial<NatRule> = {}): NatRule {
  return {
    nicUid: 'nic-a',
    gatewayUid: 'gw-1',
    family: 'IPv4',
    privateIp: '10.0.0.2',
    natIp: '203.0.113.1',
    port: 1024,
    endPort: 2047,
    ...over,
  };
}
