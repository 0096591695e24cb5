// Edge cases that the mutation run (npm run test:mutation) showed no test pinned down.
import { allocationUsage, describePending } from './allocation-status';
import {
  initialAllocationState,
  type AllocationPending,
  type AllocationState,
} from './allocation-state';

const pending = (waiting: number, missingIps: number): AllocationPending => ({
  reason: 'QuotaExceeded',
  waiting,
  missingIps,
});

describe('describePending when the namespace quota on public IPs is used up', () => {
  it('names the waiting NICs and the missing IPs, in singular and plural', () => {
    expect(describePending(pending(1, 1), 'IPv4')).toBe(
      "1 network interface is waiting for a NAT slot: the namespace's NATGatewayQuota on publicIPs is used up; 1 more public IP is needed",
    );
    expect(describePending(pending(3, 2), 'IPv6')).toBe(
      "3 network interfaces are waiting for a NAT slot: the namespace's NATGatewayQuota on publicIPs is used up; 2 more public IPs are needed",
    );
  });

  it('with no NIC waiting, says minPublicIPs is what the quota blocks', () => {
    expect(describePending(pending(0, 1), 'IPv4')).toBe(
      "the gateway holds fewer public IPs than minPublicIPs: the namespace's NATGatewayQuota on publicIPs is used up and 1 more public IP is needed",
    );
    expect(describePending(pending(0, 4), 'IPv4')).toBe(
      "the gateway holds fewer public IPs than minPublicIPs: the namespace's NATGatewayQuota on publicIPs is used up and 4 more public IPs are needed",
    );
  });

  it('refuses a reason outside the type by name', () => {
    const unknown = { reason: 'Cosmic', waiting: 1, missingIps: 0 } as unknown as AllocationPending;
    expect(() => describePending(unknown, 'IPv4')).toThrow('unknown pending reason Cosmic');
  });
});

describe('allocationUsage with a draining IP', () => {
  it('counts slots only on the IPs that are not draining', () => {
    const ppni = 2048;
    const perIp = Math.floor((65535 - 1024 + 1) / ppni); // ports 1024..65535
    const state: AllocationState = {
      ...initialAllocationState(),
      ips: ['203.0.113.1', '203.0.113.2', '203.0.113.3'],
      draining: new Map([
        [
          '203.0.113.2',
          { ip: '203.0.113.2', deadline: '2026-12-07T23:00:00Z', deadlineSeconds: 60 },
        ],
      ]),
    };
    expect(allocationUsage(state, ppni)).toEqual({
      nicsRequesting: 0,
      slotsUsed: 0,
      slotsTotal: 2 * perIp,
    });
    expect(allocationUsage({ ...state, draining: new Map() }, ppni).slotsTotal).toBe(3 * perIp);
  });
});
