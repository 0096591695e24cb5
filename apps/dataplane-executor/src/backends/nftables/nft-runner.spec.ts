import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processNftRunner } from './nft-runner';

// `sh` stands in for nft: the runner's streaming contract does not depend on the tool.
const sh = processNftRunner({ nftPath: 'sh', timeoutMs: 60_000 });

describe('processNftRunner stream', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'natgw-runner-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes every piece in order, far beyond a pipe buffer', async () => {
    const pieces = Array.from(
      { length: 200 },
      (_, i) => `${String(i).padStart(3, '0')}${'x'.repeat(65_533)}\n`,
    );
    const result = await sh.stream(['-c', 'cut -c1-3 | tr -d "\\n"'], pieces);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(pieces.map((p) => p.slice(0, 3)).join(''));
  });

  it('kills the process before its input ends when making a piece throws', async () => {
    const marker = join(dir, 'ran');
    function* failing(): Generator<string> {
      yield 'table inet natgw\ndelete table inet natgw\n';
      throw new Error('render failed');
    }
    // The tool acts only once its input has ended, as nft runs a transaction only then.
    await expect(
      sh.stream(['-c', `cat > /dev/null && touch ${marker}`], failing()),
    ).rejects.toThrow('render failed');
    expect(existsSync(marker)).toBe(false);
    // Without the failure, the same command does act: the check above is not vacuous.
    await sh.stream(['-c', `cat > /dev/null && touch ${marker}`], ['ok\n']);
    expect(existsSync(marker)).toBe(true);
  });

  it('starts the process before a promised input, and runs it once the input comes', async () => {
    const marker = join(dir, 'started');
    let give: (input: string[]) => void = () => undefined;
    const input = new Promise<string[]>((resolve) => {
      give = resolve;
    });
    const result = sh.stream(['-c', `touch ${marker}; cat`], input);
    // The process runs (and waits for its input) before the input exists.
    for (let i = 0; i < 200 && !existsSync(marker); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(existsSync(marker)).toBe(true);
    give(['late ', 'input\n']);
    expect((await result).stdout).toBe('late input\n');
  });

  it('kills the process before its input ends when the promised input fails', async () => {
    const marker = join(dir, 'ran');
    const input = Promise.reject(new Error('read failed'));
    await expect(sh.stream(['-c', `cat > /dev/null && touch ${marker}`], input)).rejects.toThrow(
      'read failed',
    );
    expect(existsSync(marker)).toBe(false);
  });
});
