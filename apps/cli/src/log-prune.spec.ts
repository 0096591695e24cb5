import { pruneArgs } from './log-prune';

describe('log:prune arguments', () => {
  it('reads the retention in days, hours or minutes, the archive and --dry-run', () => {
    expect(pruneArgs(['--retention', '400d'])).toEqual({
      retentionMs: 400 * 86_400_000,
      retentionText: '400d',
      archive: undefined,
      dryRun: false,
    });
    expect(pruneArgs(['--retention=36h', '--archive=/tmp/x.ndjson', '--dry-run'])).toEqual({
      retentionMs: 36 * 3_600_000,
      retentionText: '36h',
      archive: '/tmp/x.ndjson',
      dryRun: true,
    });
    expect(pruneArgs(['--archive', 'a.ndjson', '--retention', '90m'])).toMatchObject({
      retentionMs: 90 * 60_000,
      archive: 'a.ndjson',
    });
  });

  it.each([
    [[], /needs --retention/],
    [['--retention', '0d'], /positive whole number/],
    [['--retention', '-3d'], /positive whole number/],
    [['--retention', '1.5d'], /positive whole number/],
    [['--retention', '30'], /positive whole number/],
    [['--retention', '30y'], /positive whole number/],
    [['--retention', '59m'], /shorter than the minimum of 1h/],
    [['--retention', '30d', '--archive='], /--archive needs a file name/],
    [['--retention', '30d', '--force'], /unknown argument "--force"/],
    [['--retention', '30d', '--dry-run=yes'], /unknown argument/],
  ])('refuses %j, naming the rule', (args, message) => {
    expect(pruneArgs(args)).toMatch(message);
  });
});
