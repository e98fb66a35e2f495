/**
 * The bootstrap log: schemas, the pure reducer, semantic checks and the
 * streaming validator. Import from here; see `bootstrap/README.md` for the
 * format and the decisions behind it.
 */
export * from "./schema";
export * from "./errors";
export * from "./reducer";
export * from "./semantics";
export * from "./core";
export * from "./validate";
export { LineSplitter, DEFAULT_MAX_LINE_BYTES } from "./lines";
export { checkShape } from "./shape";
