/**
 * structured-merge-diff's list types, as the OpenAPI documents declare them for server-side
 * apply clients: every list natgw's kinds hold is `atomic` (replaced whole, owned as one
 * field: the rule natgw's field management applies, and Kubernetes' default for a list
 * without markers, as in Ironcore's types), except `conditions` (a map keyed by `type`,
 * as in every Kubernetes status) and `metadata.finalizers` (a set).
 */
type Json = Record<string, unknown>;

function isJson(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function listTypeOf(property: string): Json {
  if (property === 'conditions')
    return { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] };
  if (property === 'finalizers') return { 'x-kubernetes-list-type': 'set' };
  return { 'x-kubernetes-list-type': 'atomic' };
}

/** Marks (in place) every array property of a schema, nested ones too, with its list type. */
export function markListTypes(schema: Json): Json {
  const properties = schema.properties;
  if (!isJson(properties)) return schema;
  for (const [name, property] of Object.entries(properties)) {
    if (!isJson(property)) continue;
    if (property.type === 'array' && property['x-kubernetes-list-type'] === undefined)
      Object.assign(property, listTypeOf(name));
    markListTypes(property);
    if (isJson(property.items)) markListTypes(property.items);
  }
  return schema;
}
