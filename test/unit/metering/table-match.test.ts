// The gateway's price lookup against @pydantic/genai-prices itself: the shipped table must be the installed
// package's data, and every name must resolve to the entry the package's calcPrice prices, at the same price.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type * as GenaiPrices from '@pydantic/genai-prices';
import { installedPriceTable, projectPriceTable, TOKEN_PRICE_KEYS, type ProjectedPriceTable } from '../../../scripts/price-table.mjs';
import { findInTable, fromTablePrice, TABLE_KEYS, type TableMatch } from '../../../src/metering/table-source.js';
import { lookupTable, pricesAt, type TableModel, type TablePrices } from '../../../src/metering/table-match.js';

const genai = createRequire(import.meta.url)('@pydantic/genai-prices') as typeof GenaiPrices;
const NO_USAGE = { input_tokens: 0, output_tokens: 0 };
const packageData = await genai.waitForUpdate();
if (!packageData) throw new Error('the package has no built-in data');
const shipped = JSON.parse(readFileSync(new URL('../../../src/metering/price-table.json', import.meta.url), 'utf8')) as ProjectedPriceTable;

/** What the lookup should find, asked of the package the way the gateway asked it before it had its own lookup. */
function oracle(model: string, hints: readonly string[], at: Date): TableMatch | undefined {
  const calc = (providerId: string | undefined) => {
    try {
      return genai.calcPrice(NO_USAGE, model, providerId === undefined ? { timestamp: at } : { providerId, timestamp: at });
    } catch {
      return null;
    }
  };
  let found = null;
  for (const hint of hints) {
    found = calc(hint);
    if (found) break;
  }
  found ??= calc(undefined);
  if (!found) return undefined;
  const tokenPrices = projectPriceTable([{ ...found.provider, models: [{ ...found.model, prices: found.model_price }] }], '').providers[0]!.models[0]!.prices as TablePrices;
  return {
    providerId: found.provider.id,
    modelId: found.model.id,
    timeDependent: Array.isArray(found.model.prices),
    price: fromTablePrice(tokenPrices, found.provider.id, found.model.id),
  };
}

const providers = packageData.map((p) => p.id);
const models = packageData.flatMap((p) => p.models.map((m) => ({ provider: p.id, model: m })));
const AT = new Date('2025-11-01T20:00:00Z');

/** Names a client could send for a model: its id, names its patterns accept, and the usual decorations. */
function namesFor(model: GenaiPrices.ModelInfo): string[] {
  const names = [model.id, model.id.toUpperCase(), ` ${model.id} `, `${model.id}-20250929`, `${model.id}-2025-09-29`, `${model.id}-latest`];
  const walk = (logic: GenaiPrices.MatchLogic): void => {
    if ('or' in logic) logic.or.forEach(walk);
    else if ('and' in logic) logic.and.forEach(walk);
    else if ('equals' in logic) names.push(logic.equals);
    else if ('starts_with' in logic) names.push(`${logic.starts_with}-x`);
    else if ('ends_with' in logic) names.push(`x-${logic.ends_with}`);
    else if ('contains' in logic) names.push(`x-${logic.contains}-y`);
  };
  walk(model.match);
  return names;
}

describe('the shipped price table', () => {
  it('is the installed package’s data (run `npm run prices` after upgrading @pydantic/genai-prices)', async () => {
    expect(shipped).toEqual(await installedPriceTable());
  });

  it('keeps the price keys the gateway reads, and only those', () => {
    expect([...TOKEN_PRICE_KEYS].sort()).toEqual(Object.values(TABLE_KEYS).sort());
  });

  it('keeps every provider and model, in the package’s order', () => {
    expect(shipped.providers.map((p) => p.id)).toEqual(providers);
    expect(shipped.providers.flatMap((p) => p.models.map((m) => m.id))).toEqual(models.map((m) => m.model.id));
  });
});

describe('price lookup against the package’s calcPrice', () => {
  it('finds every model under its provider, under another hint, and by name alone, at the same price', () => {
    let compared = 0;
    for (const { provider, model } of models) {
      for (const name of namesFor(model)) {
        for (const hints of [[], [provider], ['my-openai', provider], ['no-such-provider'], ['litellm'], [provider === 'openai' ? 'anthropic' : 'openai']]) {
          expect(findInTable(name, hints, AT), `${JSON.stringify(name)} with hints ${hints.join(',')}`).toEqual(oracle(name, hints, AT));
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(50_000);
  });

  it('finds the same entry as calcPrice for one provider id, known or not', () => {
    const ids = (hit: { provider: { id: string }; model: { id: string } } | null) => hit && `${hit.provider.id}/${hit.model.id}`;
    for (const { provider, model } of models) {
      for (const hint of [provider, 'no-such-provider', 'litellm', '', undefined]) {
        const viaPackage = genai.calcPrice(NO_USAGE, model.id, hint === undefined ? { timestamp: AT } : { providerId: hint, timestamp: AT });
        expect(ids(lookupTable(model.id, hint, AT)), `${model.id} under ${String(hint)}`).toBe(ids(viaPackage));
      }
    }
  });

  it('switches to a dated price at its start date exactly', () => {
    const dated = models.flatMap(({ provider, model }) =>
      Array.isArray(model.prices) ? model.prices.flatMap((c) => (c.constraint?.type === 'start_date' ? [{ provider, model, start: new Date(c.constraint.start_date) }] : [])) : [],
    );
    expect(dated.length).toBeGreaterThan(0);
    for (const { provider, model, start } of dated) {
      for (const at of [new Date(start.getTime() - 1), start]) {
        expect(findInTable(model.id, [provider], at), `${model.id} at ${at.toISOString()}`).toEqual(oracle(model.id, [provider], at));
      }
    }
  });

  it('reads `litellm` with a provider/model name as that provider’s model', () => {
    for (const name of ['anthropic/claude-sonnet-4-5', 'openai/gpt-4o-mini', 'nobody/gpt-4o', 'openai/', '/gpt-4o']) {
      expect(findInTable(name, ['litellm'], AT), name).toEqual(oracle(name, ['litellm'], AT));
    }
    expect(lookupTable('anthropic/claude-sonnet-4-5', 'litellm', AT)?.provider.id).toBe('anthropic');
  });

  it('picks the price in force at each time for models priced by date or time of day', () => {
    const timed = models.filter(({ model }) => Array.isArray(model.prices));
    expect(timed.length).toBeGreaterThan(0);
    fc.assert(
      fc.property(fc.constantFrom(...timed), fc.date({ min: new Date('2023-01-01T00:00:00Z'), max: new Date('2027-12-31T23:59:59Z'), noInvalidDate: true }), ({ provider, model }, at) => {
        expect(findInTable(model.id, [provider], at)).toEqual(oracle(model.id, [provider], at));
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees on names built from pieces of real ids', () => {
    const ids = models.map((m) => m.model.id);
    const prefixes = ['', 'openai/', 'anthropic.', 'us.', 'models/', 'x-'];
    const suffixes = ['', '-latest', '-20250929', '-20251345', ':free', '@20240620', '-preview', '/v1'];
    fc.assert(
      fc.property(
        fc.constantFrom(...prefixes),
        fc.constantFrom(...ids),
        fc.constantFrom(...suffixes),
        fc.boolean(),
        fc.constantFrom<readonly string[]>([], ['openai'], ['anthropic'], ['azure'], ['google'], ['litellm']),
        (prefix, id, suffix, upper, hints) => {
          const name = `${prefix}${id}${suffix}`;
          const sent = upper ? name.toUpperCase() : name;
          expect(findInTable(sent, hints, AT)).toEqual(oracle(sent, hints, AT));
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('treats an invalid time as the package does: no price', () => {
    const timed = models.find(({ model }) => Array.isArray(model.prices))!;
    const invalid = new Date(Number.NaN);
    expect(findInTable(timed.model.id, [timed.provider], invalid)).toBeUndefined();
    expect(oracle(timed.model.id, [timed.provider], invalid)).toBeUndefined();
  });

  it('reads times of day with offsets, and windows that wrap past midnight', () => {
    const model: TableModel = {
      id: 'night',
      match: { equals: 'night' },
      prices: [
        { prices: { input_mtok: 1 } },
        { constraint: { type: 'time_of_date', start_time: '22:30:00+02:00', end_time: '06:00:00Z' }, prices: { input_mtok: 0.5 } },
      ],
    };
    const provider = { id: 'p', models: [model] } as const;
    const at = (iso: string) => lookupTable('night', 'p', new Date(iso), [provider])?.prices;
    expect(at('2025-01-01T20:29:59Z')).toEqual({ input_mtok: 1 });
    expect(at('2025-01-01T20:30:00Z')).toEqual({ input_mtok: 0.5 });
    expect(at('2025-01-02T05:59:59.999Z')).toEqual({ input_mtok: 0.5 });
    expect(at('2025-01-02T06:00:00Z')).toEqual({ input_mtok: 1 });
    // The package agrees on the same entry.
    const viaPackage = (iso: string) => genai.calcPrice(NO_USAGE, 'night', { provider: provider as never, timestamp: new Date(iso) })?.model_price;
    for (const iso of ['2025-01-01T20:29:59Z', '2025-01-01T20:30:00Z', '2025-01-02T05:59:59.999Z', '2025-01-02T06:00:00Z']) {
      expect(pricesAt(model, new Date(iso)), iso).toEqual(viaPackage(iso));
    }
    expect(() => pricesAt({ ...model, prices: [{ constraint: { type: 'time_of_date', start_time: '25:00:00Z', end_time: '06:00:00Z' }, prices: {} }] }, new Date())).toThrow(/time-of-day/);
  });
});
