import { visit, type JSONPath } from "jsonc-parser";
import { formatFieldPath, type Problem } from "./errors";

/**
 * Duplicate keys in one event. `JSON.parse` keeps the last of two equal keys
 * while other parsers keep the first, so an event with a duplicate key means
 * different things to different readers: the validator rejects it, naming
 * the key. Detection is a count, cheap enough for every line: in valid JSON
 * text every colon outside a string separates exactly one object member, and
 * the parsed value keeps one member per distinct key, so the text has a
 * duplicate exactly when it has more such colons than the value has keys.
 * Only then is the line walked again, by jsonc-parser (the scanner VS Code
 * uses), to name the key and where it is.
 */

/** How many colons of valid JSON `text` are outside strings (its object members). */
export function membersInText(text: string): number {
  let count = 0;
  let i = 0;
  let colon = text.indexOf(":");
  const n = text.length;
  while (i < n && colon !== -1) {
    const quote = text.indexOf('"', i);
    const end = quote === -1 ? n : quote;
    while (colon !== -1 && colon < end) {
      count++;
      colon = text.indexOf(":", colon + 1);
    }
    if (quote === -1) break;
    // Skip the string: its end is the next quote not escaped by an odd run of backslashes.
    let j = quote + 1;
    for (;;) {
      j = text.indexOf('"', j);
      if (j === -1) return count;
      let slashes = 0;
      while (text.charCodeAt(j - 1 - slashes) === 92) slashes++;
      if (slashes % 2 === 0) break;
      j++;
    }
    i = j + 1;
    if (colon !== -1 && colon < i) colon = text.indexOf(":", i);
  }
  return count;
}

/** How many colons `text` has, counting no further than `limit + 1`. */
function colonsIn(text: string, limit: number): number {
  let n = 0;
  for (let i = text.indexOf(":"); i !== -1 && n <= limit; i = text.indexOf(":", i + 1)) n++;
  return n;
}

/** How many keys the objects of a parsed JSON value hold, nested ones included. */
export function keysInValue(value: unknown): number {
  if (value === null || typeof value !== "object") return 0;
  let n = 0;
  if (Array.isArray(value)) {
    for (const item of value) if (item !== null && typeof item === "object") n += keysInValue(item);
    return n;
  }
  // for…in without allocating a key array (a parsed JSON object has only own, enumerable keys).
  for (const k in value as Record<string, unknown>) {
    n++;
    const child = (value as Record<string, unknown>)[k];
    if (child !== null && typeof child === "object") n += keysInValue(child);
  }
  return n;
}

/** Every duplicate key of valid JSON `text`: the key, its object's path, and the 1-based columns of the first and the repeated key. */
export function findDuplicateKeys(text: string): { key: string; path: JSONPath; first: number; again: number }[] {
  const found: { key: string; path: JSONPath; first: number; again: number }[] = [];
  const stack: Map<string, number>[] = [];
  visit(text, {
    onObjectBegin: () => {
      stack.push(new Map());
    },
    onObjectEnd: () => {
      stack.pop();
    },
    onObjectProperty: (key, offset, _length, _line, _char, pathSupplier) => {
      const keys = stack[stack.length - 1];
      if (!keys) return;
      const first = keys.get(key);
      if (first === undefined) keys.set(key, offset + 1);
      else found.push({ key, path: pathSupplier(), first, again: offset + 1 });
    },
  });
  return found;
}

/**
 * The problems of a line whose `text` parsed to `value`: one per duplicate
 * key, naming it, or none (the common case costs one count).
 */
export function duplicateKeyProblems(text: string, value: unknown, line: number, kind: string | undefined): Problem[] {
  if (value === null || typeof value !== "object") return [];
  const keys = keysInValue(value);
  // Every member has a colon, so when the text has no more colons than the value has keys, none is in a string
  // and there is no duplicate: one indexOf loop settles the usual line.
  if (colonsIn(text, keys) <= keys || membersInText(text) === keys) return [];
  return findDuplicateKeys(text).map((d) => ({
    line,
    kind,
    path: formatFieldPath([...d.path, d.key]),
    message: `duplicate key ${JSON.stringify(d.key)} (at columns ${d.first} and ${d.again}); expected each key once in an object, because parsers disagree on which one wins`,
  }));
}
