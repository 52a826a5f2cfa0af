/** Model-name patterns for config `prices:` and `capabilities:` keys: `*` matches any run of characters, `?` one character. */

export function isGlob(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}

/** Case-insensitive, anchored at both ends; every other character is literal. */
export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (const ch of pattern) {
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else source += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'is');
}

/** Config entries keyed by model name or glob: exact names first (case-insensitive), then globs in the order written. */
export class ModelPatternMap<T> {
  private readonly exact = new Map<string, T>();
  private readonly globs: { re: RegExp; value: T }[] = [];

  constructor(entries: Iterable<readonly [string, T]>) {
    for (const [key, value] of entries) {
      if (isGlob(key)) this.globs.push({ re: globToRegExp(key), value });
      else this.exact.set(key.toLowerCase(), value);
    }
  }

  get(model: string): T | undefined {
    const exact = this.exact.get(model.toLowerCase());
    if (exact !== undefined) return exact;
    for (const g of this.globs) if (g.re.test(model)) return g.value;
    return undefined;
  }
}
