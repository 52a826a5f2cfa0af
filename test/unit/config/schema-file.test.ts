import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../../src/config/index.js';

describe('gateway.schema.json', () => {
  it('is the schema the code generates (run `npm run schema` after changing the config schema)', () => {
    const committed = JSON.parse(readFileSync(new URL('../../../gateway.schema.json', import.meta.url), 'utf8')) as unknown;
    expect(committed).toEqual(JSON.parse(JSON.stringify(configJsonSchema())));
  });
});
