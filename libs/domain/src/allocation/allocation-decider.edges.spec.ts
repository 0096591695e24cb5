// Edge cases that the mutation run (npm run test:mutation) showed no test pinned down.
import { type AllocationCommand, decideAllocation } from './allocation-decider';
import { initialAllocationState } from './allocation-state';

describe('decideAllocation given a command outside the type (an unchecked message)', () => {
  it('refuses it and shows the command', () => {
    const command = { type: 'ResizeAllocation', size: 2 } as unknown as AllocationCommand;
    expect(() => decideAllocation(command, initialAllocationState())).toThrow(
      'unknown allocation command {"type":"ResizeAllocation","size":2}',
    );
  });
});
