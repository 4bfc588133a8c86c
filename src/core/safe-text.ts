/**
 * Text that came from outside (a manifest, a tag, Docker's or AWS's error text) on its way to a
 * terminal, a log line, a status file or an instance tag. Control and bidi characters are
 * escaped so that nothing can clear a terminal, forge a line or reorder what an operator reads,
 * and known secret values are blanked out before anything else sees them.
 */

// C0 and C1 controls, DEL, and the bidi overrides, embeddings and isolates (U+202A-U+202E,
// U+2066-U+2069), plus the marks and separators that move or break lines (U+200E, U+200F,
// U+2028, U+2029, U+061C).
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

/** Escapes every control and bidi character as `\xNN` or `\uNNNN`; the rest is left as written. */
export function escapeText(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0)
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
  })
}

/** Every occurrence of each secret (values of 4 characters or more; shorter ones would blank ordinary words) replaced by `***`. */
export function scrubSecrets(text: string, secrets: Iterable<string>): string {
  let out = text
  const values = [...secrets].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length)
  for (const value of values) out = out.split(value).join('***')
  return out
}

/** AWS's limit on a tag value, in characters (SPEC §6 asks deckhand:reason to fit it). */
export const TAG_VALUE_MAX = 255

/**
 * One line for a `deckhand:reason` tag or a log's reason: secrets blanked, line breaks folded to
 * spaces, control characters escaped, cut to `max` characters with an ellipsis.
 */
export function oneLine(text: string, options: { secrets?: Iterable<string>; max?: number } = {}): string {
  const max = options.max ?? TAG_VALUE_MAX
  const folded = escapeText(scrubSecrets(text, options.secrets ?? []).replace(/\s*[\r\n]+\s*/g, ' ').trim())
  return folded.length <= max ? folded : `${folded.slice(0, Math.max(0, max - 1))}…`
}
