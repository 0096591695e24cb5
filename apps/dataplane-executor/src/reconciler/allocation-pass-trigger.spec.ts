import type { RecordedEvent } from '@natgw/contracts';
import { AllocationPassTrigger } from './allocation-pass-trigger';

const at = (globalPosition: number) => ({
  transactionId: '10',
  globalPosition: String(globalPosition),
});
const event = (type: string) => ({ type }) as RecordedEvent;

describe('AllocationPassTrigger', () => {
  it('asks for a pass when the runner applied a batch with an allocation event, not for others', () => {
    const request = jest.fn();
    const trigger = new AllocationPassTrigger(request);
    trigger.applied([event('NetworkInterfaceCreated'), event('NATTableProgrammed')]);
    expect(request).not.toHaveBeenCalled();
    trigger.applied([event('NetworkInterfaceCreated'), event('NATSlotAssigned')]);
    expect(request).toHaveBeenCalledTimes(1);
  });

  it('asks again for a delivered event only when no successful pass has covered it', () => {
    const request = jest.fn();
    const trigger = new AllocationPassTrigger(request);
    trigger.delivered(at(5));
    expect(request).toHaveBeenCalledTimes(1);
    trigger.passed(at(7));
    trigger.delivered(at(5));
    trigger.delivered(at(7));
    expect(request).toHaveBeenCalledTimes(1);
    trigger.delivered(at(8));
    expect(request).toHaveBeenCalledTimes(2);
    // An older pass finishing later does not move it back.
    trigger.passed(at(3));
    trigger.delivered(at(6));
    expect(request).toHaveBeenCalledTimes(2);
  });
});
