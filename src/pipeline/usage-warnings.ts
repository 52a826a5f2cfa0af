/** Unusable usage reports repeat on every answer of a broken upstream: they are logged once per provider. */
import type { Log } from './ports.js';

export type UsageWarning = (provider: string, fields: readonly string[]) => void;

export function usageWarnings(log: Log): UsageWarning {
  const warned = new Set<string>();
  return (provider, fields) => {
    if (warned.has(provider)) return;
    warned.add(provider);
    log.warn('provider reported usage that is not a token count; its answers are estimated and marked so', {
      provider,
      fields: [...new Set(fields)].join(','),
    });
  };
}
