// Introspection of the zod config schema: which key paths exist and what kind of value each one takes.
import type { z } from 'zod';

interface Def {
  type: string;
  innerType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
  entries?: Record<string, string>;
}

export type NodeKind = 'object' | 'record' | 'array' | 'leaf';

function def(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

const WRAPPERS = new Set(['default', 'prefault', 'nullable', 'optional', 'readonly', 'catch', 'nonoptional']);

/** Strip default/prefault/nullable/optional wrappers; `nullable` says whether null was allowed on the way. */
export function unwrap(schema: z.ZodType): { inner: z.ZodType; nullable: boolean } {
  let inner = schema;
  let nullable = false;
  while (WRAPPERS.has(def(inner).type) && def(inner).innerType) {
    if (def(inner).type === 'nullable') nullable = true;
    inner = def(inner).innerType!;
  }
  return { inner, nullable };
}

export function kindOf(schema: z.ZodType): NodeKind {
  const type = def(unwrap(schema).inner).type;
  if (type === 'object' || type === 'record' || type === 'array') return type;
  return 'leaf';
}

/** The keys of an object schema (after unwrapping), or undefined when it is not an object. */
export function objectKeys(schema: z.ZodType): string[] | undefined {
  const d = def(unwrap(schema).inner);
  return d.type === 'object' && d.shape ? Object.keys(d.shape) : undefined;
}

/** The schema of one child: an object's key, a record's value or an array's element. */
export function childSchema(schema: z.ZodType, key: string | number): z.ZodType | undefined {
  const d = def(unwrap(schema).inner);
  // Own keys only: a config key named `toString` or `constructor` must not find Object.prototype's members.
  if (d.type === 'object') return typeof key === 'string' && d.shape && Object.hasOwn(d.shape, key) ? d.shape[key] : undefined;
  if (d.type === 'record') return d.valueType;
  if (d.type === 'array') return d.element;
  return undefined;
}

export function schemaAt(root: z.ZodType, path: readonly (string | number)[]): z.ZodType | undefined {
  let node: z.ZodType | undefined = root;
  for (const key of path) {
    if (!node) return undefined;
    node = childSchema(node, key);
  }
  return node;
}

/** Enum values of a leaf, if it is an enum. */
export function enumValues(schema: z.ZodType): string[] | undefined {
  const d = def(unwrap(schema).inner);
  return d.type === 'enum' && d.entries ? Object.values(d.entries) : undefined;
}

export function isIntegerSchema(schema: z.ZodType): boolean {
  const inner = unwrap(schema).inner as unknown as { isInt?: boolean };
  return inner.isInt === true;
}

/** Every leaf key path, dotted. Records and arrays (also arrays of objects) count as one leaf. */
export function leafPaths(root: z.ZodType, prefix = ''): string[] {
  const keys = objectKeys(root);
  if (!keys) return [prefix];
  return keys.flatMap((key) => leafPaths(childSchema(root, key)!, prefix ? `${prefix}.${key}` : key));
}

/** Every section (object) path, dotted, including nested ones such as `notify.email`. */
export function sectionPaths(root: z.ZodType, prefix = ''): string[] {
  const keys = objectKeys(root);
  if (!keys) return [];
  const own = prefix ? [prefix] : [];
  return [...own, ...keys.flatMap((key) => sectionPaths(childSchema(root, key)!, prefix ? `${prefix}.${key}` : key))];
}
