import { createRequire } from 'node:module';

/** The package version, read once from package.json (the binary build inlines it). */
function readVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    return (require('../../package.json') as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

export const VERSION: string = typeof __AI_GATEWAY_VERSION__ === 'string' ? __AI_GATEWAY_VERSION__ : readVersion();

declare const __AI_GATEWAY_VERSION__: string | undefined;
