/** Matchers for routing's model names and globs (the glob dialect itself is in core/glob.ts). */
import { globPrefix, globToRegExp, isGlob } from '../core/glob.js';

export { globPrefix, globToRegExp, isGlob };

/** A matcher for a model name or glob: plain equality for a name, the compiled RegExp for a glob. */
export function modelMatcher(pattern: string): (model: string) => boolean {
  if (!isGlob(pattern)) return (model) => model === pattern;
  const re = globToRegExp(pattern);
  return (model) => re.test(model);
}

/** A matcher that is true when any of `matchers` is. */
export function anyMatcher(matchers: readonly ((model: string) => boolean)[]): (model: string) => boolean {
  return (model) => matchers.some((m) => m(model));
}
