/**
 * Finds a model's entry in the price table (price-table.json, written by `npm run prices` from
 * @pydantic/genai-prices). This is the package's own lookup, rule for rule, so a name resolves to the entry
 * calcPrice would price; a unit test holds the two together over every model in the table.
 */
import table from './price-table.json' with { type: 'json' };

export type MatchLogic =
  | { and: readonly MatchLogic[] }
  | { or: readonly MatchLogic[] }
  | { equals: string }
  | { starts_with: string }
  | { ends_with: string }
  | { contains: string }
  | { regex: string };

export interface TieredPrice {
  base: number;
  tiers: readonly { start: number; price: number }[];
}
/** USD per unit (per million tokens for the `_mtok` keys), flat or tiered by the request's input tokens. */
export type TablePrices = Readonly<Record<string, number | TieredPrice | undefined>>;

type Constraint = { type: 'start_date'; start_date: string } | { type: 'time_of_date'; start_time: string; end_time: string };
/** Prices by date or time of day: the last entry whose constraint holds wins, else the first. */
type ConditionalPrices = readonly { constraint?: Constraint; prices: TablePrices }[];

export interface TableModel {
  id: string;
  match: MatchLogic;
  prices: TablePrices | ConditionalPrices;
}

function isConditional(prices: TableModel['prices']): prices is ConditionalPrices {
  return Array.isArray(prices);
}

export interface TableProvider {
  id: string;
  provider_match?: MatchLogic;
  model_match?: MatchLogic;
  /** Providers whose models this one also serves (Azure: OpenAI's, Anthropic's, ...). */
  fallback_model_providers?: readonly string[];
  models: readonly TableModel[];
}

interface PriceTableFile {
  version: string;
  providers: readonly TableProvider[];
}

const data = table as unknown as PriceTableFile;

/** Version of the table (`genai-prices@x.y.z`); recorded with every cost it prices. */
export const PRICE_TABLE_VERSION = data.version;

const regexes = new Map<string, RegExp>();

/** `text` is already lower-cased, as the package lower-cases names before matching. */
function matches(logic: MatchLogic, text: string): boolean {
  if ('or' in logic) return logic.or.some((l) => matches(l, text));
  if ('and' in logic) return logic.and.every((l) => matches(l, text));
  if ('equals' in logic) return text === logic.equals.toLowerCase();
  if ('starts_with' in logic) return text.startsWith(logic.starts_with.toLowerCase());
  if ('ends_with' in logic) return text.endsWith(logic.ends_with.toLowerCase());
  if ('contains' in logic) return text.includes(logic.contains.toLowerCase());
  let regex = regexes.get(logic.regex);
  if (regex === undefined) {
    regex = new RegExp(logic.regex);
    regexes.set(logic.regex, regex);
  }
  return regex.test(text);
}

function providerById(providers: readonly TableProvider[], providerId: string): TableProvider | undefined {
  const id = providerId.toLowerCase().trim();
  return providers.find((p) => p.id === id) ?? providers.find((p) => p.provider_match !== undefined && matches(p.provider_match, id));
}

/** A named provider that the table does not know finds nothing, except `litellm`, which routes by model name. */
function findProvider(providers: readonly TableProvider[], model: string, providerId: string | undefined): TableProvider | undefined {
  if (providerId !== undefined && providerId !== '') {
    const found = providerById(providers, providerId);
    if (found || providerId.toLowerCase() !== 'litellm') return found;
  }
  return providers.find((p) => p.model_match !== undefined && matches(p.model_match, model));
}

function modelIn(provider: TableProvider, model: string, providers?: readonly TableProvider[]): TableModel | undefined {
  const found = provider.models.find((m) => matches(m.match, model));
  if (found || !provider.fallback_model_providers || !providers) return found;
  for (const id of provider.fallback_model_providers) {
    const fallback = providers.find((p) => p.id === id);
    const inFallback = fallback && modelIn(fallback, model);
    if (inFallback) return inFallback;
  }
  return undefined;
}

const DATED = /(-)(20\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?=-|:|$)/g;

/** `-20250929` → `-2025-09-29` when it is a real date, for tables that list dated ids with dashes. */
function dashedDates(model: string): string {
  return model.replace(DATED, (whole: string, dash: string, y: string, m: string, d: string) => {
    const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
    const real = date.getUTCFullYear() === Number(y) && date.getUTCMonth() === Number(m) - 1 && date.getUTCDate() === Number(d);
    return real ? `${dash}${y}-${m}-${d}` : whole;
  });
}

function findModel(provider: TableProvider, model: string, providers: readonly TableProvider[]): TableModel | undefined {
  const found = modelIn(provider, model, providers);
  if (found) return found;
  const dashed = dashedDates(model);
  return dashed === model ? undefined : modelIn(provider, dashed, providers);
}

const TIME_OF_DAY = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))$/;

/** Seconds after midnight UTC of `HH:MM:SS[.fff](Z|±HH:MM)`. */
function secondsOfDayUtc(time: string): number {
  const m = TIME_OF_DAY.exec(time);
  if (!m) throw new Error(`Invalid time-of-day constraint: ${time}`);
  const [, hh = '', mm = '', ss = '', fraction = '', zone, sign, zh = '00', zm = '00'] = m;
  const h = Number(hh);
  const min = Number(mm);
  const s = Number(ss);
  if (h > 23 || min > 59 || s > 59 || zh > '23' || zm > '59') throw new Error(`Invalid time-of-day constraint: ${time}`);
  const local = h * 3600 + min * 60 + s + Number(`0.${fraction}`);
  const offset = (Number(zh) * 60 + Number(zm)) * 60;
  const shift = zone === 'Z' ? 0 : sign === '+' ? offset : -offset;
  return (local - shift + 86400) % 86400;
}

/** The prices in force at `at`. Throws on an invalid time or an unknown constraint, as the package does. */
export function pricesAt(model: TableModel, at: Date): TablePrices {
  const conditional = model.prices;
  if (!isConditional(conditional)) return conditional;
  if (Number.isNaN(at.getTime())) throw new RangeError('Invalid time value');
  for (let i = conditional.length - 1; i >= 0; i--) {
    const { constraint, prices: inForce } = conditional[i]!;
    if (constraint === undefined) return inForce;
    if (constraint.type === 'start_date') {
      if (at >= new Date(constraint.start_date)) return inForce;
    } else if (constraint.type === 'time_of_date') {
      const now = at.getUTCHours() * 3600 + at.getUTCMinutes() * 60 + at.getUTCSeconds() + at.getUTCMilliseconds() / 1e3;
      const start = secondsOfDayUtc(constraint.start_time);
      const end = secondsOfDayUtc(constraint.end_time);
      if (end < start ? now >= start || now < end : now >= start && now < end) return inForce;
    } else {
      throw new Error(`Unknown price constraint for model '${model.id}': ${JSON.stringify(constraint)}`);
    }
  }
  return conditional[0]!.prices;
}

export interface TableHit {
  provider: TableProvider;
  model: TableModel;
  prices: TablePrices;
}

/**
 * The entry calcPrice(usage, model, { providerId, timestamp: at }) prices, or null. The name is lower-cased and
 * trimmed; `litellm` with a `provider/model` name looks the model up under that provider.
 */
export function lookupTable(model: string, providerId: string | undefined, at: Date, providers: readonly TableProvider[] = data.providers): TableHit | null {
  let name = model.toLowerCase().trim();
  let id = providerId;
  if (id !== undefined && id.toLowerCase() === 'litellm' && name.includes('/')) {
    const slash = name.indexOf('/');
    const prefix = name.slice(0, slash);
    const rest = name.slice(slash + 1);
    if (prefix !== '' && rest !== '' && providerById(providers, prefix)) {
      id = prefix;
      name = rest;
    }
  }
  const provider = findProvider(providers, name, id);
  if (!provider) return null;
  const found = findModel(provider, name, providers);
  if (!found) return null;
  return { provider, model: found, prices: pricesAt(found, at) };
}
