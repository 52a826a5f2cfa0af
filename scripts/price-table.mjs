#!/usr/bin/env node
// `npm run prices`: writes src/metering/price-table.json from the installed @pydantic/genai-prices package.
// The gateway reads that file instead of loading the package: the package builds a usage-unit registry and
// compiles its whole module at start-up, about 6 MB of an idle gateway's memory, for the few fields a price
// lookup reads. The file keeps what the lookup needs, in the package's own order and shapes; a unit test checks
// it against the installed package (run this script after upgrading it) and the lookup against calcPrice.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, URL } from 'node:url';

/** The price keys the gateway turns into token rates (src/metering/table-source.ts). */
export const TOKEN_PRICE_KEYS = [
  'input_mtok',
  'output_mtok',
  'cache_read_mtok',
  'cache_write_mtok',
  'cache_write_5m_mtok',
  'cache_write_1h_mtok',
  'output_reasoning_mtok',
];

function tokenPrices(prices) {
  const out = {};
  for (const key of TOKEN_PRICE_KEYS) if (prices[key] !== undefined) out[key] = prices[key];
  return out;
}

function withDefined(entries) {
  return Object.fromEntries(entries.filter(([, v]) => v !== undefined));
}

/**
 * The lookup's view of the package's providers. Every model stays, priced by tokens or not: matching takes the
 * first model whose pattern matches, so dropping one would hand its names to the next.
 */
export function projectPriceTable(providers, version) {
  return {
    version: `genai-prices@${version}`,
    providers: providers.map((p) =>
      withDefined([
        ['id', p.id],
        ['provider_match', p.provider_match],
        ['model_match', p.model_match],
        ['fallback_model_providers', p.fallback_model_providers],
        [
          'models',
          p.models.map((m) => ({
            id: m.id,
            match: m.match,
            prices: Array.isArray(m.prices)
              ? m.prices.map((c) => withDefined([['constraint', c.constraint], ['prices', tokenPrices(c.prices)]]))
              : tokenPrices(m.prices),
          })),
        ],
      ]),
    ),
  };
}

/** One model a line, so an upgrade's diff reads as the prices that changed. */
export function serialize(table) {
  const providers = table.providers.map(({ models, ...head }) => {
    const open = JSON.stringify({ ...head, models: [] }).slice(0, -2);
    return `${open}\n${models.map((m) => `  ${JSON.stringify(m)}`).join(',\n')}\n]}`;
  });
  return `{"version":${JSON.stringify(table.version)},"providers":[\n${providers.join(',\n')}\n]}\n`;
}

/** The installed package's built-in providers (its public waitForUpdate() resolves to them until updatePrices). */
export async function installedPriceTable() {
  const require = createRequire(import.meta.url);
  const prices = require('@pydantic/genai-prices');
  // The package's exports map hides its package.json: read it beside the entry point's folder.
  const entry = require.resolve('@pydantic/genai-prices');
  const manifest = JSON.parse(readFileSync(join(dirname(dirname(entry)), 'package.json'), 'utf8'));
  if (manifest.name !== '@pydantic/genai-prices') throw new Error(`unexpected package layout: ${entry}`);
  return projectPriceTable(await prices.waitForUpdate(), manifest.version);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const target = new URL('../src/metering/price-table.json', import.meta.url);
  const table = await installedPriceTable();
  writeFileSync(target, serialize(table));
  const models = table.providers.reduce((n, p) => n + p.models.length, 0);
  console.error(`${fileURLToPath(target)}: ${table.version}, ${table.providers.length} providers, ${models} models`);
}
