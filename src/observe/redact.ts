/**
 * Secret redaction. Every secret the gateway knows (provider keys, virtual keys, admin token) is
 * registered here, and everything that leaves the process as text (logs, error bodies) passes through
 * `redact`. Matching is plain substring replacement, so no regex is compiled per call.
 */
export class Redactor {
  private secrets: string[] = [];

  /** Replaces the known set (called again on config reload). Short values are ignored: too many false hits. */
  setSecrets(values: Iterable<string | undefined>): void {
    const unique = new Set<string>();
    for (const v of values) if (v !== undefined && v.length >= 8) unique.add(v);
    // Longest first, so a secret containing another is replaced whole.
    this.secrets = [...unique].sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) if (out.includes(s)) out = out.split(s).join(mask(s));
    return out;
  }
}

/** Keeps a short prefix so a user can tell keys apart without the key being usable. */
export function mask(secret: string): string {
  return `${secret.slice(0, 3)}…[redacted]`;
}

/** `text` with one more secret masked, e.g. a client's own key that no config names (short values stay). */
export function maskSecret(text: string, secret: string | undefined): string {
  return secret !== undefined && secret.length >= 8 && text.includes(secret) ? text.split(secret).join(mask(secret)) : text;
}
