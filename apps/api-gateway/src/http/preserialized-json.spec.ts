import fc from 'fast-check';
import { rememberJson, toJson } from './preserialized-json';

const frozen = <T>(v: T): T => {
  if (v !== null && typeof v === 'object') {
    Object.freeze(v);
    Object.values(v as object).forEach(frozen);
  }
  return v;
};

describe('toJson', () => {
  it('is JSON.stringify for values it holds no text of', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(toJson(v)).toBe(JSON.stringify(v));
      }),
    );
  });

  it('gives the remembered text of an object, and splices remembered items into a list', () => {
    fc.assert(
      fc.property(
        fc.array(fc.dictionary(fc.string(), fc.jsonValue()), { minLength: 1, maxLength: 8 }),
        fc.dictionary(fc.string(), fc.string()),
        (items, metadata) => {
          const held = items.map((i) => frozen({ ...i }));
          held.forEach(rememberJson);
          const list = { apiVersion: 'v1', kind: 'List', metadata, items: held };
          expect(toJson(list)).toBe(JSON.stringify(list));
          expect(toJson(held[0])).toBe(JSON.stringify(held[0]));
        },
      ),
    );
  });

  it('keeps the envelope whatever text its other fields hold, the marker included', () => {
    const item = frozen({ a: 1 });
    rememberJson(item);
    const list = { metadata: { continue: '\u0000items\u0000', x: '"items"' }, items: [item], z: 2 };
    expect(toJson(list)).toBe(JSON.stringify(list));
  });

  it('refuses to remember an object that could still change', () => {
    expect(() => rememberJson({ a: 1 })).toThrow(/frozen/);
  });
});
