import { fieldsOf, fromFieldsV1, toFieldsV1 } from './field-paths';
import {
  ANCIENT_CHANGES,
  applyConfiguration,
  MAX_APPLY_MANAGERS,
  MAX_UPDATE_MANAGERS,
  TooManyFieldManagersError,
  defaultFieldManager,
  FieldManagerConflictError,
  ManagedFieldsEntry,
  recordUpdate,
} from './managed-fields';

const AV = 'networking.ironcore.dev/v1alpha1';
const at = (manager: string, now = '2026-01-01T00:00:00Z') => ({ manager, apiVersion: AV, now });

const gateway = (spec: Record<string, unknown>, labels?: Record<string, string>) => ({
  apiVersion: AV,
  kind: 'NATGateway',
  metadata: { name: 'gw', ...(labels ? { labels } : {}) },
  spec,
});

/** The owners of each field, read back from the FieldsV1 documents. */
function owners(entries: ManagedFieldsEntry[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of entries)
    for (const p of fromFieldsV1(e.fieldsV1).paths())
      (out[p.join('.')] ??= []).push(`${e.manager}/${e.operation}`);
  return out;
}

/** The stored object after a write: its managedFields in its metadata. */
const stored = (r: { object: Record<string, unknown>; managedFields: ManagedFieldsEntry[] }) => ({
  ...r.object,
  metadata: { ...(r.object.metadata as object), managedFields: r.managedFields },
});

const BASE = { type: 'Public', ipFamily: 'IPv4', networkRef: { name: 'net' } };

describe('field paths', () => {
  it('encodes labels, annotations and spec leaves as FieldsV1, lists whole (atomic)', () => {
    const set = fieldsOf({
      metadata: { name: 'x', labels: { app: 'a', 'k8s.io/x': 'y' }, annotations: { n: '1' } },
      spec: { networkRef: { name: 'n' }, ips: ['10.0.0.1', '10.0.0.2'], empty: {} },
      status: { ips: [] },
    });
    expect(toFieldsV1(set)).toEqual({
      'f:metadata': {
        'f:annotations': { 'f:n': {} },
        'f:labels': { 'f:app': {}, 'f:k8s.io/x': {} },
      },
      'f:spec': { 'f:empty': {}, 'f:ips': {}, 'f:networkRef': { 'f:name': {} } },
    });
    expect(
      fromFieldsV1(toFieldsV1(set))
        .paths()
        .map((p) => p.join('.'))
        .sort(),
    ).toEqual([
      'metadata.annotations.n',
      'metadata.labels.app',
      'metadata.labels.k8s.io/x',
      'spec.empty',
      'spec.ips',
      'spec.networkRef.name',
    ]);
  });

  it('keeps a key named __proto__ as data', () => {
    const v1 = toFieldsV1(fieldsOf({ metadata: { labels: JSON.parse('{"__proto__":"x"}') } }));
    expect(Object.keys(v1['f:metadata'] as object)).toEqual(['f:labels']);
    expect(fromFieldsV1(v1).paths()).toEqual([['metadata', 'labels', '__proto__']]);
  });
});

describe('applyConfiguration', () => {
  it('creates on apply: the applier owns exactly what it applied (not defaults added later)', () => {
    const { object, managedFields } = applyConfiguration(
      undefined,
      gateway({ ...BASE, portsPerNetworkInterface: 512 }, { app: 'web' }),
      at('alice'),
      false,
    );
    expect(object).toEqual(gateway({ ...BASE, portsPerNetworkInterface: 512 }, { app: 'web' }));
    expect(managedFields).toHaveLength(1);
    expect(managedFields[0]).toMatchObject({
      manager: 'alice',
      operation: 'Apply',
      apiVersion: AV,
      fieldsType: 'FieldsV1',
    });
    expect(owners(managedFields)).toEqual({
      'metadata.labels.app': ['alice/Apply'],
      'spec.type': ['alice/Apply'],
      'spec.ipFamily': ['alice/Apply'],
      'spec.networkRef.name': ['alice/Apply'],
      'spec.portsPerNetworkInterface': ['alice/Apply'],
    });
  });

  it('removes a field the applier stops applying, unless another manager owns it', () => {
    const first = applyConfiguration(
      undefined,
      gateway({ ...BASE, portsPerNetworkInterface: 512 }, { app: 'web', tier: 'edge' }),
      at('alice'),
      false,
    );
    // bob applies the same tier value: shared ownership, no conflict.
    const shared = applyConfiguration(
      stored(first),
      { metadata: { name: 'gw', labels: { tier: 'edge' } } },
      at('bob'),
      false,
    );
    expect(owners(shared.managedFields)['metadata.labels.tier'].sort()).toEqual([
      'alice/Apply',
      'bob/Apply',
    ]);
    const second = applyConfiguration(
      stored(shared),
      gateway(BASE),
      at('alice', '2026-01-02T00:00:00Z'),
      false,
    );
    const spec = second.object.spec as Record<string, unknown>;
    expect(spec.portsPerNetworkInterface).toBeUndefined();
    expect((second.object.metadata as { labels: unknown }).labels).toEqual({ tier: 'edge' });
    expect(owners(second.managedFields)).toEqual({
      'metadata.labels.tier': ['bob/Apply'],
      'spec.type': ['alice/Apply'],
      'spec.ipFamily': ['alice/Apply'],
      'spec.networkRef.name': ['alice/Apply'],
    });
    expect(second.managedFields.find((e) => e.manager === 'alice')!.time).toBe(
      '2026-01-02T00:00:00Z',
    );
  });

  it('answers conflicts for fields another manager set to another value; force takes them over', () => {
    const created = applyConfiguration(
      undefined,
      gateway({ ...BASE, portsPerNetworkInterface: 512 }),
      at('alice'),
      false,
    );
    const edited = recordUpdate(
      created.object,
      gateway({ ...BASE, portsPerNetworkInterface: 1024 }),
      created.managedFields,
      at('kubectl-edit'),
    );
    const live = {
      ...gateway({ ...BASE, portsPerNetworkInterface: 1024 }),
      metadata: { name: 'gw', managedFields: edited },
    };
    let error: unknown;
    try {
      applyConfiguration(
        live,
        gateway({ ...BASE, portsPerNetworkInterface: 2048 }),
        at('alice'),
        false,
      );
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(FieldManagerConflictError);
    expect((error as FieldManagerConflictError).conflicts).toEqual([
      { manager: 'kubectl-edit', field: '.spec.portsPerNetworkInterface' },
    ]);
    // The same value as the other manager's is no conflict.
    expect(() =>
      applyConfiguration(
        live,
        gateway({ ...BASE, portsPerNetworkInterface: 1024 }),
        at('alice'),
        false,
      ),
    ).not.toThrow();
    const forced = applyConfiguration(
      live,
      gateway({ ...BASE, portsPerNetworkInterface: 2048 }),
      at('alice'),
      true,
    );
    expect((forced.object.spec as Record<string, unknown>).portsPerNetworkInterface).toBe(2048);
    expect(owners(forced.managedFields)['spec.portsPerNetworkInterface']).toEqual(['alice/Apply']);
    // kubectl-edit owned only that field: its entry is gone.
    expect(forced.managedFields.map((e) => e.manager)).toEqual(['alice']);
  });

  it('leaves managedFields untouched when the same configuration is applied again', () => {
    const first = applyConfiguration(undefined, gateway(BASE), at('alice'), false);
    const live = {
      ...first.object,
      metadata: { ...(first.object.metadata as object), managedFields: first.managedFields },
    };
    const again = applyConfiguration(
      live,
      gateway(BASE),
      at('alice', '2026-02-02T00:00:00Z'),
      false,
    );
    expect(again.managedFields).toEqual(first.managedFields);
  });
});

describe('recordUpdate', () => {
  it('gives the writer the fields it set or changed and takes them from other managers', () => {
    const created = recordUpdate(
      undefined,
      gateway(BASE, { app: 'a' }),
      undefined,
      at('kubectl-create'),
    );
    expect(created).toEqual([
      expect.objectContaining({ manager: 'kubectl-create', operation: 'Update' }),
    ]);
    const labelled = recordUpdate(
      gateway(BASE, { app: 'a' }),
      gateway(BASE, { app: 'b', x: 'y' }),
      created,
      at('kubectl-label'),
    );
    expect(owners(labelled)).toEqual({
      'metadata.labels.app': ['kubectl-label/Update'],
      'metadata.labels.x': ['kubectl-label/Update'],
      'spec.type': ['kubectl-create/Update'],
      'spec.ipFamily': ['kubectl-create/Update'],
      'spec.networkRef.name': ['kubectl-create/Update'],
    });
    // Removing a label removes it from its owner.
    const removed = recordUpdate(
      gateway(BASE, { app: 'b', x: 'y' }),
      gateway(BASE, { app: 'b' }),
      labelled,
      at('other'),
    );
    expect(owners(removed)['metadata.labels.x']).toBeUndefined();
    expect(removed.map((e) => e.manager)).toEqual(['kubectl-create', 'kubectl-label']);
  });

  it('changes nothing (not even times) when no managed field changed', () => {
    const created = recordUpdate(undefined, gateway(BASE), undefined, at('a'));
    expect(
      recordUpdate(gateway(BASE), gateway(BASE), created, at('b', '2030-01-01T00:00:00Z')),
    ).toEqual(created);
  });
});

describe('manager caps', () => {
  it('keeps at most MAX_UPDATE_MANAGERS Update entries: the oldest merge into ancient-changes, owning their fields', () => {
    let entries: ManagedFieldsEntry[] = [];
    let labels: Record<string, string> = {};
    const total = MAX_UPDATE_MANAGERS + 5;
    for (let i = 0; i < total; i++) {
      const next = { ...labels, [`l${i}`]: 'v' };
      const now = `2026-01-01T00:00:${String(i).padStart(2, '0')}Z`;
      entries = recordUpdate(gateway(BASE, labels), gateway(BASE, next), entries, at(`m${i}`, now));
      labels = next;
      expect(entries.filter((e) => e.operation === 'Update').length).toBeLessThanOrEqual(
        MAX_UPDATE_MANAGERS,
      );
    }
    const own = owners(entries);
    // Every label is still owned by someone: the newest managers by themselves, the rest by ancient-changes.
    for (let i = 0; i < total; i++) expect(own[`metadata.labels.l${i}`]).toHaveLength(1);
    expect(own[`metadata.labels.l${total - 1}`]).toEqual([`m${total - 1}/Update`]);
    expect(own['metadata.labels.l0']).toEqual([`${ANCIENT_CHANGES}/Update`]);
    expect(entries.filter((e) => e.manager === ANCIENT_CHANGES)).toHaveLength(1);
  });

  it('refuses a new applier past MAX_APPLY_MANAGERS, not an existing one', () => {
    let live: Record<string, unknown> | undefined;
    for (let i = 0; i < MAX_APPLY_MANAGERS; i++) {
      const r = applyConfiguration(live, gateway(BASE), at(`a${i}`), false);
      live = stored(r);
    }
    expect(() => applyConfiguration(live, gateway(BASE), at('one-too-many'), false)).toThrow(
      TooManyFieldManagersError,
    );
    expect(() => applyConfiguration(live, gateway(BASE), at('a7'), false)).not.toThrow();
  });
});

describe('defaultFieldManager', () => {
  it.each([
    ['kubectl/v1.31.0 (linux/amd64) kubernetes/abcdef', 'kubectl'],
    ['OpenAPI-Generator/1.4.0/javascript', 'OpenAPI-Generator'],
    [undefined, 'unknown'],
    ['', 'unknown'],
  ])('%j → %s', (ua, manager) => {
    expect(defaultFieldManager(ua)).toBe(manager);
  });
});
