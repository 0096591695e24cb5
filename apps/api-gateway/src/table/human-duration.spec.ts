import { age, humanDuration } from './human-duration';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('humanDuration (as Kubernetes duration.HumanDuration)', () => {
  it.each([
    [-5 * S, '<invalid>'],
    [-1 * S, '0s'],
    [0, '0s'],
    [119 * S, '119s'],
    [2 * M, '2m'],
    [3 * M + 20 * S, '3m20s'],
    [10 * M + 59 * S, '10m'],
    [179 * M, '179m'],
    [3 * H, '3h'],
    [7 * H + 59 * M, '7h59m'],
    [8 * H + 30 * M, '8h'],
    [47 * H, '47h'],
    [2 * D, '2d'],
    [7 * D + 23 * H, '7d23h'],
    [8 * D, '8d'],
    [729 * D, '729d'],
    [730 * D, '2y'],
    [731 * D, '2y1d'],
    [8 * 365 * D, '8y'],
  ])('%d ms is %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });

  it('measures an RFC 3339 timestamp against now, and says <unknown> without one', () => {
    const now = new Date('2026-11-26T10:05:00Z');
    expect(age('2026-11-26T10:00:00Z', now)).toBe('5m');
    expect(age(undefined, now)).toBe('<unknown>');
    expect(age('yesterday', now)).toBe('<unknown>');
  });
});
