import { inboxRetention } from './inbox-pruner';

const DAY = 86_400_000;

describe('inboxRetention', () => {
  it('keeps the configured retention when it outlives the stream by a day', () => {
    expect(inboxRetention(45 * DAY, 30 * DAY)).toEqual({
      prune: true,
      retentionMs: 45 * DAY,
      raised: false,
    });
    expect(inboxRetention(31 * DAY, 30 * DAY)).toEqual({
      prune: true,
      retentionMs: 31 * DAY,
      raised: false,
    });
  });

  it('raises a retention shorter than the redelivery window to max age + 1 day', () => {
    expect(inboxRetention(7 * DAY, 30 * DAY)).toEqual({
      prune: true,
      retentionMs: 31 * DAY,
      raised: true,
    });
    expect(inboxRetention(31 * DAY - 1, 30 * DAY)).toMatchObject({ retentionMs: 31 * DAY });
  });

  it('prunes nothing when the stream keeps messages forever or retention is 0', () => {
    expect(inboxRetention(45 * DAY, 0)).toMatchObject({ prune: false });
    expect(inboxRetention(0, 30 * DAY)).toEqual({
      prune: false,
      reason: 'INBOX_RETENTION_SECONDS is 0',
    });
  });
});
