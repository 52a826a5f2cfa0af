/**
 * Model-name globs for routing: `*` (any run of characters), `?` (one character) and classes `[0-9]`, `[!a-z]`.
 * Compiled once when the config is normalised so routing never builds a RegExp per request.
 */

export function isGlob(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

/** A RegExp anchored at both ends that matches what the glob matches. Throws on an unterminated class. */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] ?? '';
    if (ch === '*') {
      source += '.*';
    } else if (ch === '?') {
      source += '.';
    } else if (ch === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end === -1) throw new Error(`unterminated "[" in pattern "${glob}"`);
      let body = glob.slice(i + 1, end);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      // Keep ranges (a-z) but escape everything regex-special inside the class.
      const escaped = body.replace(/[\\\]^[]/g, (c) => `\\${c}`);
      source += `[${negate ? '^' : ''}${escaped}]`;
      i = end;
    } else {
      source += ch.replace(/[.+^${}()|\\/\]]/g, (c) => `\\${c}`);
    }
  }
  return new RegExp(`^${source}$`, 's');
}

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

/** The literal text before the first wildcard: what a human would recognise as the pattern's family name. */
export function globPrefix(glob: string): string {
  const index = glob.search(/[*?[]/);
  return index === -1 ? glob : glob.slice(0, index);
}
