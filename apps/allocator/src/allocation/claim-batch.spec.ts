import { ClaimBatch } from './claim-batch';

/** A commit the test settles by hand, recording every batch it was given. */
function manualCommit() {
  const batches: string[][] = [];
  const settle: Array<(fail?: Error) => void> = [];
  const commit = (requests: string[]) => {
    batches.push(requests);
    return new Promise<string[]>((resolve, reject) =>
      settle.push((fail) => (fail ? reject(fail) : resolve(requests.map((r) => `done:${r}`)))),
    );
  };
  return { batches, settle, commit };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('ClaimBatch (group commit)', () => {
  it('commits a lone request at once, and the requests that came meanwhile together next', async () => {
    const { batches, settle, commit } = manualCommit();
    const batch = new ClaimBatch(commit, (r: string) => r.split('#')[0]);
    const first = batch.submit('a');
    await tick();
    expect(batches).toEqual([['a']]);
    const later = ['b', 'c', 'd'].map((r) => batch.submit(r));
    await tick();
    expect(batch.pending).toBe(3);
    settle[0]();
    await expect(first).resolves.toBe('done:a');
    await tick();
    expect(batches[1]).toEqual(['b', 'c', 'd']);
    settle[1]();
    await expect(Promise.all(later)).resolves.toEqual(['done:b', 'done:c', 'done:d']);
  });

  it('never puts two requests of one key in a batch, and keeps a batch at most maxBatch', async () => {
    const { batches, settle, commit } = manualCommit();
    const batch = new ClaimBatch(commit, (r: string) => r.split('#')[0], 2);
    const all = ['x', 'a#1', 'a#2', 'b', 'c'].map((r) => batch.submit(r));
    for (let i = 0; i < 4; i++) {
      await tick();
      settle[i]?.();
    }
    await Promise.all(all);
    expect(batches).toEqual([['x'], ['a#1', 'b'], ['a#2', 'c']]);
  });

  it('rejects every request of a failed batch with its error and goes on with the next', async () => {
    const { batches, settle, commit } = manualCommit();
    const batch = new ClaimBatch(commit, (r: string) => r);
    const first = batch.submit('a');
    await tick();
    const failing = [batch.submit('b'), batch.submit('c')];
    settle[0]();
    await first;
    await tick();
    const after = batch.submit('d');
    settle[1](new Error('lost a race'));
    for (const f of failing) await expect(f).rejects.toThrow('lost a race');
    await tick();
    expect(batches[2]).toEqual(['d']);
    settle[2]();
    await expect(after).resolves.toBe('done:d');
  });

  it('refuses a commit that answers a different number of results', async () => {
    const batch = new ClaimBatch(
      async () => ['only one'],
      (r: string) => r,
    );
    const a = batch.submit('a');
    await expect(a).resolves.toBe('only one');
    const wrong = new ClaimBatch(
      async (requests: string[]) => requests.slice(1),
      (r: string) => r,
    );
    await expect(wrong.submit('z')).rejects.toThrow('a batch of 1 returned 0 results');
  });

  it('refuses a batch size that is not a positive integer', () => {
    expect(
      () =>
        new ClaimBatch(
          async (r: string[]) => r,
          (r: string) => r,
          0,
        ),
    ).toThrow('maxBatch must be a positive integer, got 0');
  });
});
