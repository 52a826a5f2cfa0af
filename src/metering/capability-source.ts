/**
 * Reads model capabilities from the bundled llm-zoo registry: static data in the package, nothing fetched at
 * run time. Names are matched as providers accept them: the full id, the undated alias, a dated snapshot of a
 * listed family (`gpt-4o-mini-2024-07-18`, `claude-sonnet-4-5-20250929`), Anthropic's `-0` and `-latest`
 * aliases, and the model part of `provider/model` names.
 */
import { MODEL_CONFIGS, type ModelConfig } from 'llm-zoo';
import { isEffortLevel, type EffortLevel } from '../core/effort.js';

/** Version of the installed registry; a unit test checks it against the installed package.json. */
export const CAPABILITY_TABLE_VERSION = 'llm-zoo@1.37.0';

/** What a model accepts. A field left out is not known, and nothing is adjusted on its account. */
export interface ModelCapabilities {
  /** Most tokens one response may be asked for (max_tokens and its kin). */
  maxOutputTokens?: number;
  /** Accepts reasoning parameters (OpenAI reasoning_effort/reasoning, Anthropic thinking). */
  reasoning?: boolean;
  /** The reasoning effort values it accepts, when the data lists them; an empty list accepts none. */
  reasoningEfforts?: readonly EffortLevel[];
  /** Can call functions (tools). */
  tools?: boolean;
  /** Can read images. */
  vision?: boolean;
}

function fromRegistry(m: ModelConfig): ModelCapabilities {
  const c = m.capabilities;
  const caps: ModelCapabilities = { reasoning: c.supportsReasoning, tools: c.supportsFunctionCalling, vision: c.supportsVision };
  if (m.maxOutputTokens > 0) caps.maxOutputTokens = m.maxOutputTokens;
  if (c.supportedReasoningEfforts !== undefined) caps.reasoningEfforts = c.supportedReasoningEfforts.filter(isEffortLevel);
  return caps;
}

/**
 * Two entries under one name (the registry lists Claude models twice, with and without extended thinking, and
 * some models once per endpoint) merge to what either accepts: an adjustment must never refuse what the model takes.
 */
function lenient(a: ModelCapabilities, b: ModelCapabilities): ModelCapabilities {
  const caps: ModelCapabilities = {};
  if (a.maxOutputTokens !== undefined && b.maxOutputTokens !== undefined) caps.maxOutputTokens = Math.max(a.maxOutputTokens, b.maxOutputTokens);
  if (a.reasoning !== undefined && b.reasoning !== undefined) caps.reasoning = a.reasoning || b.reasoning;
  if (a.reasoningEfforts !== undefined && b.reasoningEfforts !== undefined) {
    caps.reasoningEfforts = [...new Set([...a.reasoningEfforts, ...b.reasoningEfforts])];
  }
  if (a.tools !== undefined && b.tools !== undefined) caps.tools = a.tools || b.tools;
  if (a.vision !== undefined && b.vision !== undefined) caps.vision = a.vision || b.vision;
  return caps;
}

const DATE_SUFFIX = /(?:-\d{4}-\d{2}-\d{2}|-\d{8}|@\d{8})$/;

/** Lower-case name → registry provider → capabilities. */
type Index = Map<string, Map<string, ModelCapabilities>>;
let index: Index | undefined;

function buildIndex(): Index {
  const out: Index = new Map();
  for (const m of Object.values(MODEL_CONFIGS)) {
    const caps = fromRegistry(m);
    const names = new Set([m.fullName, m.shortName, m.fullName.replace(DATE_SUFFIX, '')]);
    for (const name of names) {
      const key = name.toLowerCase();
      let byProvider = out.get(key);
      if (!byProvider) out.set(key, (byProvider = new Map()));
      const seen = byProvider.get(m.provider);
      byProvider.set(m.provider, seen === undefined ? caps : lenient(seen, caps));
    }
  }
  return out;
}

/** The names to try for a model id, most specific first. */
export function candidateNames(model: string): string[] {
  const id = model.trim().toLowerCase();
  const bases = [id];
  const slash = id.lastIndexOf('/');
  if (slash >= 0 && slash < id.length - 1) bases.push(id.slice(slash + 1));
  const names = new Set<string>();
  for (const base of bases) {
    names.add(base);
    names.add(base.replace(DATE_SUFFIX, ''));
    if (base.endsWith('-latest')) names.add(base.slice(0, -'-latest'.length));
    // Anthropic's `claude-sonnet-4-0` names the first release of `claude-sonnet-4`.
    if (/-\d+-0$/.test(base)) names.add(base.slice(0, -2));
  }
  return [...names];
}

/**
 * Capabilities of a model by the name sent upstream. Provider hints (the configured provider's name and type)
 * pick among registry providers that list the same name; without a hint that matches, their entries merge.
 */
export function findCapabilities(model: string, providerHints: readonly string[]): ModelCapabilities | undefined {
  index ??= buildIndex();
  for (const name of candidateNames(model)) {
    const byProvider = index.get(name);
    if (!byProvider) continue;
    for (const hint of providerHints) {
      const hinted = byProvider.get(hint.toLowerCase());
      if (hinted) return hinted;
    }
    let merged: ModelCapabilities | undefined;
    for (const caps of byProvider.values()) merged = merged === undefined ? caps : lenient(merged, caps);
    return merged;
  }
  return undefined;
}
