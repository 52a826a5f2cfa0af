/**
 * Spec §8 field policy while encoding a request: hints are dropped and reported, class-2 knobs and ⚠
 * fallbacks are dropped and reported (a 400 in strict mode), output-contract changes are always a 400.
 */
import type { GatewayError } from '../../core/errors.js';
import type { WireFormat } from '../codec.js';
import type { ForeignTool, FormatField } from '../canonical.js';
import { invalid } from './json.js';

export class FieldPolicy {
  private readonly paths: string[] = [];

  constructor(private readonly strict: boolean) {}

  /** Class 1: bookkeeping with no effect on the output. Never an error. */
  hint(path: string): void {
    if (!this.paths.includes(path)) this.paths.push(path);
  }

  /** Class 2 or a ⚠ fallback: dropped or approximated; strict mode refuses. */
  soft(path: string, why: string): void {
    if (this.strict) throw invalid(`\`${path}\` is not supported by the upstream format (${why}); strict mode refuses to drop it.`, path);
    this.hint(path);
  }

  /** Class 3: the output contract cannot be honoured. */
  reject(path: string, why: string): GatewayError {
    return invalid(`\`${path}\` cannot be translated to the upstream format: ${why}.`, path);
  }

  /** Applies the policy to a source-format field this target has no counterpart for. */
  foreign(field: FormatField): void {
    switch (field.policy) {
      case 'hint':
      case 'unknown':
        this.hint(field.path);
        return;
      case 'sampling':
        this.soft(field.path, 'no equivalent parameter');
        return;
      case 'contract':
        throw this.reject(field.path, field.reason ?? 'it changes the shape of the output');
    }
  }

  /** A provider-specific tool goes back out as it came in its own format and cannot cross to another. */
  foreignTool(tool: ForeignTool, target: WireFormat, index: number): Record<string, unknown> {
    if (tool.format === target) return tool.raw;
    throw this.reject(`tools[${index}]`, `\`${tool.name}\` is a provider-specific tool`);
  }

  get dropped(): string[] {
    return [...this.paths];
  }
}
