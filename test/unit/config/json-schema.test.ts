import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_SCHEMA_FILE, configJsonSchema, parseConfigText, renderInitConfig } from '../../../src/config/index.js';
import { runSchema } from '../../../src/cli/commands/schema.js';

type Schema = Record<string, unknown>;

const SUPPORTED = new Set([
  '$schema', 'title', 'description', 'default', 'type', 'anyOf', 'enum', 'pattern', 'minLength', 'minimum', 'maximum',
  'exclusiveMinimum', 'properties', 'required', 'additionalProperties', 'propertyNames', 'items', 'minItems', 'format',
]);

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** A small JSON Schema (draft-07 subset) validator: enough to check what z.toJSONSchema emits for our schema. */
function validate(schema: Schema, value: unknown, path = '$'): string[] {
  for (const key of Object.keys(schema)) if (!SUPPORTED.has(key)) throw new Error(`validator does not support "${key}" at ${path}`);
  const errors: string[] = [];
  if (Array.isArray(schema.anyOf)) {
    const branches = (schema.anyOf as Schema[]).map((s) => validate(s, value, path));
    if (branches.every((b) => b.length > 0)) errors.push(`${path}: no anyOf branch matches (${branches.flat().join('; ')})`);
  }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    const actual = typeOf(value);
    if (!types.some((t) => t === actual || (t === 'number' && actual === 'integer'))) {
      return [...errors, `${path}: expected ${types.join('|')}, got ${actual}`];
    }
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) errors.push(`${path}: not in enum`);
  if (typeof value === 'string') {
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern).test(value)) errors.push(`${path}: does not match ${schema.pattern}`);
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) errors.push(`${path}: too short`);
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) errors.push(`${path}: below minimum`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) errors.push(`${path}: above maximum`);
    if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum) errors.push(`${path}: not above exclusiveMinimum`);
  }
  if (typeOf(value) === 'object') {
    const object = value as Record<string, unknown>;
    for (const key of (schema.required as string[] | undefined) ?? []) if (!(key in object)) errors.push(`${path}: missing ${key}`);
    const properties = (schema.properties as Record<string, Schema> | undefined) ?? {};
    for (const [key, child] of Object.entries(object)) {
      if (schema.propertyNames !== undefined) errors.push(...validate(schema.propertyNames as Schema, key, `${path}.<key ${key}>`));
      const childSchema = properties[key];
      if (childSchema !== undefined) errors.push(...validate(childSchema, child, `${path}.${key}`));
      else if (schema.additionalProperties === false) errors.push(`${path}: unexpected ${key}`);
      else if (typeof schema.additionalProperties === 'object') errors.push(...validate(schema.additionalProperties as Schema, child, `${path}.${key}`));
    }
  }
  if (Array.isArray(value) && typeof schema.minItems === 'number' && value.length < schema.minItems) errors.push(`${path}: too few items`);
  if (Array.isArray(value) && typeof schema.items === 'object') {
    value.forEach((item, i) => errors.push(...validate(schema.items as Schema, item, `${path}[${i}]`)));
  }
  return errors;
}

const root = resolve(import.meta.dirname, '../../..');
const files = [
  join(root, 'gateway.example.yaml'),
  join(root, 'test/fixtures/config/seed-agent-gateway.yaml'),
  ...readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.yaml')).map((f) => join(root, 'examples', f)),
];

describe('configJsonSchema', () => {
  const schema = configJsonSchema();

  it('is a draft-07 object schema with the config sections', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(Object.keys(schema.properties as object)).toEqual(
      expect.arrayContaining(['gateway', 'storage', 'providers', 'models', 'prices', 'agents', 'policies', 'metrics']),
    );
  });

  // Raw YAML without interpolation: this is what an editor sees, so ${VAR} must sit in string fields.
  it.each(files.map((f) => [f.slice(root.length + 1), f]))('accepts %s as written', (_name, file) => {
    const value: unknown = parse(readFileSync(file, 'utf8'));
    expect(validate(schema, value)).toEqual([]);
  });

  it('accepts the config `ai-gateway init` writes, which points editors at the schema file init writes beside it', () => {
    const text = renderInitConfig();
    expect(text.split('\n')[0]).toBe(`# yaml-language-server: $schema=./${CONFIG_SCHEMA_FILE}`);
    expect(readFileSync(join(root, 'gateway.example.yaml'), 'utf8').split('\n')[0]).toBe(`# yaml-language-server: $schema=./${CONFIG_SCHEMA_FILE}`);
    expect(validate(schema, parse(text))).toEqual([]);
  });

  it('is what `ai-gateway schema` prints', async () => {
    const chunks: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => (chunks.push(chunk), true)) as typeof process.stdout.write;
    try {
      await runSchema();
    } finally {
      process.stdout.write = write;
    }
    expect(JSON.parse(chunks.join(''))).toEqual(schema);
  });

  it.each([
    ['a port that is not a number', { gateway: { port: 'eighty' } }],
    ['a bad rate limit', { agents: { a: { rate_limit: '100/mn' } } }],
    ['a bad duration', { gateway: { upstream_timeout: '10 minutes' } }],
    ['a bad policy action', { policies: [{ name: 'p', condition: 'x > 1', action: 'explode' }] }],
    ['a policy without a condition', { policies: [{ name: 'p', action: 'pause' }] }],
    ['an unknown provider type', { providers: { x: { type: 'bedrock' } } }],
    ['an invalid agent name', { agents: { 'has space': {} } }],
  ])('rejects %s, as the config loader does', (_what, value) => {
    expect(validate(schema, value).length).toBeGreaterThan(0);
    expect(parseConfigText(JSON.stringify(value), { file: 'broken.yaml', env: {} }).config).toBeUndefined();
  });
});
