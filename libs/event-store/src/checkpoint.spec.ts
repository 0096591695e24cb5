import { compareCheckpoints, LOG_START } from './checkpoint';

describe('compareCheckpoints', () => {
  it('orders by transaction id first, then global position', () => {
    expect(
      compareCheckpoints(
        { transactionId: '9', globalPosition: '100' },
        { transactionId: '10', globalPosition: '1' },
      ),
    ).toBeLessThan(0);
    expect(
      compareCheckpoints(
        { transactionId: '10', globalPosition: '2' },
        { transactionId: '10', globalPosition: '1' },
      ),
    ).toBeGreaterThan(0);
    expect(
      compareCheckpoints(
        { transactionId: '10', globalPosition: '2' },
        { transactionId: '10', globalPosition: '2' },
      ),
    ).toBe(0);
  });

  it('compares values beyond 2^53 exactly', () => {
    const a = { transactionId: '9007199254740993', globalPosition: '1' };
    const b = { transactionId: '9007199254740992', globalPosition: '1' };
    expect(compareCheckpoints(a, b)).toBeGreaterThan(0);
    expect(compareCheckpoints(LOG_START, b)).toBeLessThan(0);
  });
});
