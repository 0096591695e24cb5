import type { FieldRequirement, LabelSelector } from '@natgw/contracts';

/** SQL conditions with their parameters, numbered from a given offset. */
export class SqlConditions {
  readonly conditions: string[] = [];
  readonly params: unknown[];

  constructor(initial: unknown[] = []) {
    this.params = [...initial];
  }

  /** Adds a parameter and returns its placeholder (`$n`). */
  param(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  add(condition: string): void {
    this.conditions.push(condition);
  }

  /** `AND`-joined, or `TRUE` when empty. */
  sql(): string {
    return this.conditions.length > 0 ? this.conditions.join(' AND ') : 'TRUE';
  }
}

/** Adds the label selector as conditions on a jsonb labels expression (Kubernetes semantics). */
export function addLabelSelector(
  where: SqlConditions,
  labels: string,
  selector: LabelSelector,
): void {
  for (const r of selector) {
    const key = where.param(r.key);
    switch (r.op) {
      case 'eq':
        where.add(`${labels} @> jsonb_build_object(${key}::text, ${where.param(r.value)}::text)`);
        break;
      case 'neq':
        where.add(
          `NOT (${labels} @> jsonb_build_object(${key}::text, ${where.param(r.value)}::text))`,
        );
        break;
      case 'in':
        where.add(`(${labels} ->> ${key}::text) = ANY(${where.param(r.values)}::text[])`);
        break;
      case 'notin':
        where.add(
          `NOT COALESCE((${labels} ->> ${key}::text) = ANY(${where.param(r.values)}::text[]), false)`,
        );
        break;
      case 'exists':
        where.add(`jsonb_exists(${labels}, ${key}::text)`);
        break;
      case 'notexists':
        where.add(`NOT jsonb_exists(${labels}, ${key}::text)`);
        break;
      default: {
        const never: never = r;
        throw new Error(`unknown label requirement ${JSON.stringify(never)}`);
      }
    }
  }
}

/** Adds a field selector on name and namespace columns. */
export function addFieldSelector(
  where: SqlConditions,
  columns: { name: string; namespace: string },
  selector: FieldRequirement[],
): void {
  for (const r of selector) {
    const column = r.field === 'metadata.name' ? columns.name : columns.namespace;
    where.add(`${column} ${r.op === 'eq' ? '=' : '<>'} ${where.param(r.value)}`);
  }
}
