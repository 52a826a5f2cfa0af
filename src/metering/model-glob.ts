import { globToRegExp, isGlob } from '../core/glob.js';

/**
 * Config `prices:` and `capabilities:` entries keyed by model name or glob (routing's dialect, core/glob.ts): exact
 * names first, then globs in the order written, both without regard to case.
 */
export class ModelPatternMap<T> {
  private readonly exact = new Map<string, T>();
  private readonly globs: { re: RegExp; value: T }[] = [];

  constructor(entries: Iterable<readonly [string, T]>) {
    for (const [key, value] of entries) {
      if (isGlob(key)) this.globs.push({ re: globToRegExp(key, true), value });
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
