// Edge cases that the mutation run (npm run test:mutation) showed no test pinned down.
import { decidePool, initialIpPoolState, type IpPoolCommand } from './ip-pool';

describe('decidePool given a command outside the type (an unchecked message)', () => {
  it('refuses it and shows the command', () => {
    const command = { type: 'RenamePool', name: 'p' } as unknown as IpPoolCommand;
    expect(() => decidePool(command, initialIpPoolState())).toThrow(
      'unknown pool command {"type":"RenamePool","name":"p"}',
    );
  });
});
