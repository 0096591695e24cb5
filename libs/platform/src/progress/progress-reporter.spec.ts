import { PassThrough } from 'node:stream';
import { formatDuration, formatProgressLine, formatRate, rateAndEta } from './progress-line';
import { createProgress } from './progress-reporter';

function capture(isTTY: boolean): PassThrough & { isTTY: boolean; text(): string } {
  const stream = Object.assign(new PassThrough(), { isTTY, columns: 120 });
  const chunks: string[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.toString()));
  return Object.assign(stream, { text: () => chunks.join('') });
}

describe('progress figures', () => {
  it('computes the rate so far and the time left at that rate', () => {
    expect(rateAndEta({ done: 250, total: 1000, elapsedMs: 5_000 })).toEqual({
      perSecond: 50,
      etaMs: 15_000,
    });
    expect(rateAndEta({ done: 0, total: 1000, elapsedMs: 5_000 })).toEqual({ perSecond: 0 });
  });

  it('formats rates with two significant digits below 10 per second', () => {
    expect(formatRate(61_204.4)).toBe('61,204');
    expect(formatRate(4)).toBe('4');
    expect(formatRate(0.0123)).toBe('0.012');
    expect(formatRate(0)).toBe('0');
  });

  it('formats durations for people', () => {
    expect(formatDuration(850)).toBe('850ms');
    expect(formatDuration(42_000)).toBe('42s');
    expect(formatDuration(185_000)).toBe('3m 05s');
    expect(formatDuration(3_720_000)).toBe('1h 02m');
  });

  it('writes a line with count, percentage, rate and ETA', () => {
    expect(
      formatProgressLine('replay', 'events', { done: 120_000, total: 1_000_000, elapsedMs: 2_000 }),
    ).toBe('replay: 120,000/1,000,000 events (12.0%), 60,000 events/s, ETA 15s');
    expect(
      formatProgressLine('replay', 'events', { done: 10, total: 10, elapsedMs: 500 }, true),
    ).toBe('replay: 10/10 events (100.0%), 20 events/s, done in 500ms');
  });
});

describe('createProgress', () => {
  it('prints periodic lines when not on a terminal: one per interval, and the last', () => {
    const out = capture(false);
    let t = 0;
    const p = createProgress({
      label: 'rebuild resources',
      unit: 'events',
      stream: out,
      intervalMs: 1_000,
      now: () => t,
    });
    // One update every 300 ms: t = 300, 600, ..., 3000.
    for (let done = 100; done <= 1_000; done += 100) {
      t += 300;
      p.onProgress(done, 1_000);
    }
    p.finish();
    p.finish();
    const lines = out.text().trimEnd().split('\n');
    expect(lines).toEqual([
      // t = 1.2 s, 2.4 s: the first updates at least 1 s after the start or the previous line.
      'rebuild resources: 400/1,000 events (40.0%), 333 events/s, ETA 2s',
      'rebuild resources: 800/1,000 events (80.0%), 333 events/s, ETA 600ms',
      'rebuild resources: 1,000/1,000 events (100.0%), 333 events/s, done in 3s',
    ]);
  });

  it('prints nothing for work shorter than one interval, or that reported no progress', () => {
    const out = capture(false);
    let t = 0;
    const quick = createProgress({ label: 'replay', stream: out, now: () => t });
    t = 200;
    quick.onProgress(10, 10);
    quick.finish();
    createProgress({ label: 'migrate', stream: out }).finish();
    expect(out.text()).toBe('');
  });

  it('draws a bar with rate and ETA on a terminal', () => {
    const out = capture(true);
    let t = 0;
    const p = createProgress({ label: 'migrate', unit: 'migrations', stream: out, now: () => t });
    t = 1_000;
    p.onProgress(2, 8);
    t = 2_000;
    p.onProgress(8, 8);
    p.finish();
    const text = out.text();
    expect(text).toContain('migrate [');
    expect(text).toMatch(/100% \| 8\/8 migrations \| 4 migrations\/s \| ETA done in 2s/);
  });
});
