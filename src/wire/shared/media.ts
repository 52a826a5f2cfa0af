/** Data URLs and media types (spec §4.7, pitfall 16). */

export interface DataUrl {
  mediaType: string;
  data: string;
}

/** Parses `data:<type>;base64,<data>`; undefined for anything else (including non-base64 data URLs). */
export function parseDataUrl(url: string): DataUrl | undefined {
  const match = /^data:([^;,]*)((?:;[^;,]*)*);base64,(.*)$/s.exec(url);
  if (match === null) return undefined;
  const [, mediaType = '', , data = ''] = match;
  return { mediaType: mediaType.toLowerCase(), data };
}

export function toDataUrl(mediaType: string, data: string): string {
  return `data:${mediaType};base64,${data}`;
}

const ANTHROPIC_IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

/** Anthropic accepts jpeg/png/gif/webp only; `image/jpg` is a common alias for jpeg. */
export function normalizeAnthropicImageType(mediaType: string): string | undefined {
  const lower = mediaType.toLowerCase();
  const normal = lower === 'image/jpg' ? 'image/jpeg' : lower;
  return ANTHROPIC_IMAGE_TYPES.has(normal) ? normal : undefined;
}
