/**
 * Walks the zod schema alongside a config value, for the checks that only warn: keys the schema does not know (a
 * typo such as `rate_limt` should be visible, but must not stop the gateway) and durations written as bare numbers.
 */
import { z } from 'zod';
import { closest } from './edit-distance.js';
import type { BareUnit } from './units.js';

export interface UnknownKey {
  path: Array<string | number>;
  key: string;
  suggestion: string | undefined;
}

export interface BareDuration {
  path: Array<string | number>;
  value: number;
  unit: BareUnit;
}

interface Visitor {
  unknownKey(path: Array<string | number>, key: string, known: readonly string[]): void;
  /** Called for every schema node reached with a value; returning true stops the descent there. */
  node?(schema: z.ZodType, value: unknown, path: Array<string | number>): boolean;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function findUnknownKeys(schema: z.ZodType, value: unknown, path: Array<string | number> = []): UnknownKey[] {
  const found: UnknownKey[] = [];
  walk(schema, value, path, { unknownKey: (p, key, known) => found.push({ path: p, key, suggestion: closest(key, known, 1)[0] }) });
  return found;
}

/** Durations given as a bare number (other than 0), with the unit the schema reads them in. */
export function findBareDurations(schema: z.ZodType, value: unknown, units: ReadonlyMap<z.ZodType, BareUnit>): BareDuration[] {
  const found: BareDuration[] = [];
  walk(schema, value, [], {
    unknownKey: () => {},
    node: (s, v, p) => {
      const unit = units.get(s);
      if (unit === undefined) return false;
      if (typeof v === 'number' && v !== 0) found.push({ path: p, value: v, unit });
      return true;
    },
  });
  return found;
}

function walk(schema: z.ZodType, value: unknown, path: Array<string | number>, visitor: Visitor): void {
  if (value === null || value === undefined) return;
  if (visitor.node?.(schema, value, path) === true) return;
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) {
    walk(schema.unwrap() as z.ZodType, value, path, visitor);
  } else if (schema instanceof z.ZodObject) {
    if (!isPlainObject(value)) return;
    const shape = schema.shape as Record<string, z.ZodType>;
    const known = Object.keys(shape);
    for (const [key, child] of Object.entries(value)) {
      const childSchema = shape[key];
      if (childSchema === undefined) visitor.unknownKey([...path, key], key, known);
      else walk(childSchema, child, [...path, key], visitor);
    }
  } else if (schema instanceof z.ZodRecord) {
    if (!isPlainObject(value)) return;
    for (const [key, child] of Object.entries(value)) walk(schema.valueType as z.ZodType, child, [...path, key], visitor);
  } else if (schema instanceof z.ZodArray) {
    if (!Array.isArray(value)) return;
    value.forEach((item, index) => walk(schema.element as z.ZodType, item, [...path, index], visitor));
  } else if (schema instanceof z.ZodUnion) {
    const options = schema.options as readonly z.ZodType[];
    // Descend into the branch the value belongs to: the one that accepts it, else the first object branch.
    const branch =
      options.find((option) => option.safeParse(value).success) ??
      (isPlainObject(value) ? options.find((option) => option instanceof z.ZodObject) : undefined);
    if (branch) walk(branch, value, path, visitor);
  }
}
