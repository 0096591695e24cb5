import { markListTypes } from './list-types';

describe('markListTypes', () => {
  it('marks lists atomic, conditions a map keyed by type, finalizers a set, nested ones too', () => {
    const schema = markListTypes({
      type: 'object',
      properties: {
        ips: { type: 'array', items: { type: 'string' } },
        conditions: { type: 'array', items: { type: 'object' } },
        finalizers: { type: 'array', items: { type: 'string' } },
        nested: {
          type: 'object',
          properties: { ports: { type: 'array', items: { type: 'integer' } } },
        },
        objects: {
          type: 'array',
          items: { type: 'object', properties: { inner: { type: 'array', items: {} } } },
        },
        already: { type: 'array', items: {}, 'x-kubernetes-list-type': 'set' },
        name: { type: 'string' },
      },
    });
    const p = schema.properties as Record<string, Record<string, unknown>>;
    expect(p.ips['x-kubernetes-list-type']).toBe('atomic');
    expect(p.conditions).toMatchObject({
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
    });
    expect(p.finalizers['x-kubernetes-list-type']).toBe('set');
    expect(
      (p.nested.properties as Record<string, Record<string, unknown>>).ports[
        'x-kubernetes-list-type'
      ],
    ).toBe('atomic');
    const items = p.objects.items as { properties: Record<string, Record<string, unknown>> };
    expect(items.properties.inner['x-kubernetes-list-type']).toBe('atomic');
    expect(p.already['x-kubernetes-list-type']).toBe('set');
    expect(p.name['x-kubernetes-list-type']).toBeUndefined();
  });
});
