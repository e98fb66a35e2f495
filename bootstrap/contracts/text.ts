/**
 * Text that is safe to carry and to show: no control characters and no
 * bidirectional-formatting characters. Control characters (NUL, escape
 * sequences, carriage returns) break argument vectors and terminals; bidi
 * controls reorder what a reviewer sees in CI output and diffs (the "Trojan
 * Source" attack, CVE-2021-42574). The bootstrap log validator rejects them in
 * every string, the runner contract refuses them in args, and every message
 * that echoes input escapes them with `escapeUnsafe`. Pure: no I/O.
 */

/**
 * One unsafe character: C0 controls (U+0000–U+001F, NUL included), DEL and
 * the C1 controls (U+007F–U+009F), the Arabic letter mark (U+061C), the
 * left-to-right and right-to-left marks (U+200E, U+200F), the line and
 * paragraph separators (U+2028, U+2029), the bidi embeddings and overrides
 * (U+202A–U+202E) and the bidi isolates (U+2066–U+2069).
 */
export const UNSAFE_CHAR = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

const UNSAFE_GLOBAL = new RegExp(UNSAFE_CHAR.source, "g");

/** A string with no unsafe character, for zod `.regex()`. */
export const SAFE_TEXT = /^[^\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]*$/;

/** The message of a SAFE_TEXT mismatch, after "expected". */
export const SAFE_TEXT_EXPECTED = "text without control or bidirectional-formatting characters (U+0000–U+001F, U+007F–U+009F, U+061C, U+200E, U+200F, U+2028–U+202E, U+2066–U+2069)";

/** Whether `s` holds an unsafe character. */
export function hasUnsafeChar(s: string): boolean {
  return UNSAFE_CHAR.test(s);
}

/** Replaces every unsafe character of `s` by its escape, e.g. `\u202e`, so a message shows it instead of obeying it. */
export function escapeUnsafe(s: string): string {
  return UNSAFE_CHAR.test(s) ? s.replace(UNSAFE_GLOBAL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`) : s;
}

/** Describes the first unsafe character of `s`, e.g. `U+202E at character 4`, or undefined when there is none. */
export function firstUnsafeChar(s: string): string | undefined {
  const m = UNSAFE_CHAR.exec(s);
  if (!m) return undefined;
  return `U+${m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")} at character ${m.index + 1}`;
}
