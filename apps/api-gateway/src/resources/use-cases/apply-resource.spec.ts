import { kindByPlural, ResourceObject, resourceStreamId } from '@natgw/contracts';
import { ResourceReader, StoredResource } from '@natgw/projections';
import { apiErrors } from '../../http/api-error';
import { ResourceLog } from '../resource-log';
import { ResourceUpdater } from '../resource-updater';
import { RequestContext } from '../request-context';
import { ApplyResource } from './apply-resource';
import { CreateResource } from './create-resource';

const info = kindByPlural('networks')!;
const ctx: RequestContext = {
  info,
  namespace: 'ns',
  actor: 'alice',
  correlationId: 'c1',
  dryRun: false,
  fieldValidation: 'Strict',
  fieldManager: 'applier',
  fieldManagerGiven: true,
};
const configuration = {
  apiVersion: 'networking.ironcore.dev/v1alpha1',
  kind: 'Network',
  metadata: { name: 'net', namespace: 'ns', labels: { mine: 'x' } },
};
const winner = {
  apiVersion: 'networking.ironcore.dev/v1alpha1',
  kind: 'Network',
  metadata: {
    name: 'net',
    namespace: 'ns',
    uid: 'u1',
    resourceVersion: '7',
    generation: 1,
    creationTimestamp: '2026-12-07T00:00:00Z',
  },
  spec: {},
} as unknown as ResourceObject;

describe('ApplyResource', () => {
  it("applies onto a concurrent creator's object once the read model shows it, when its own create lost the race", async () => {
    // The read model lags the log: it shows the winner only after catchUpWith(its stream).
    let caughtUp = false;
    const catchUpWith = jest.fn(async () => {
      caughtUp = true;
    });
    const log = { catchUpWith } as unknown as ResourceLog;
    const reader = {
      get: jest.fn(async () =>
        caughtUp ? ({ uid: 'u1', object: winner } as unknown as StoredResource) : undefined,
      ),
    } as unknown as ResourceReader;
    const create = {
      execute: jest.fn(async () => {
        throw apiErrors.alreadyExists(info, 'net');
      }),
    } as unknown as CreateResource;
    const write = jest.fn(async (_c: unknown, _cur: unknown, input: { labels?: unknown }) => ({
      ...winner,
      metadata: { ...winner.metadata, labels: input.labels },
    }));
    const updater = { write } as unknown as ResourceUpdater;
    const apply = new ApplyResource(log, reader, updater, create, () => new Date(0));

    const res = await apply.execute(ctx, 'net', configuration, false);

    expect(res.code).toBe(200);
    expect(catchUpWith).toHaveBeenCalledWith(resourceStreamId('Network', 'ns', 'net'));
    expect(create.execute).toHaveBeenCalledTimes(1);
    expect(write).toHaveBeenCalledTimes(1);
    expect(write.mock.calls[0][2].labels).toEqual({ mine: 'x' });
  });
});
