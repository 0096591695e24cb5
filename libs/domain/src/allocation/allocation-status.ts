import type { IpFamily } from './addresses';
import type { AllocationPending, AllocationState } from './allocation-state';
import type { AllocationUsage } from './plan-allocation';
import { slotsPerIp } from './port-slots';

/** Usage counters of a recorded allocation, for NATGateway status. */
export function allocationUsage(state: AllocationState, ppni: number): AllocationUsage {
  const slotsUsed = state.slots.size;
  return {
    nicsRequesting: slotsUsed + (state.pending?.waiting ?? 0),
    slotsUsed,
    // A draining IP offers no slot.
    slotsTotal:
      state.ips.filter((ip) => state.draining?.has(ip) !== true).length * slotsPerIp(ppni),
  };
}

/** The Ready=False condition message for a pending allocation, naming how many NICs wait. */
export function describePending(pending: AllocationPending, family: IpFamily): string {
  const nics = `${pending.waiting} network interface${pending.waiting === 1 ? '' : 's'}`;
  const waiting = `${nics} ${pending.waiting === 1 ? 'is' : 'are'} waiting for a NAT slot`;
  switch (pending.reason) {
    case 'PublicIPPoolExhausted': {
      if (pending.waiting === 0) {
        return (
          `the gateway holds fewer public IPs than minPublicIPs: the ${family} public IP pool ` +
          `is exhausted and ${pending.missingIps} more ${pending.missingIps === 1 ? 'is' : 'are'} needed`
        );
      }
      const missing =
        pending.missingIps > 0
          ? `; ${pending.missingIps} more public IP${pending.missingIps === 1 ? ' is' : 's are'} needed`
          : '';
      return `${waiting}: the ${family} public IP pool is exhausted${missing}`;
    }
    case 'MaxPublicIPsReached':
      return `${waiting}: the gateway holds maxPublicIPs and every slot is taken`;
    case 'QuotaExceeded': {
      const more = `${pending.missingIps} more public IP${pending.missingIps === 1 ? ' is' : 's are'} needed`;
      return pending.waiting === 0
        ? `the gateway holds fewer public IPs than minPublicIPs: the namespace's NATGatewayQuota on publicIPs is used up and ${more}`
        : `${waiting}: the namespace's NATGatewayQuota on publicIPs is used up; ${more}`;
    }
    default: {
      const unknown: never = pending.reason;
      throw new Error(`unknown pending reason ${String(unknown)}`);
    }
  }
}
