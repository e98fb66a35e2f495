/**
 * Test budgets. `npm test` must pass on a busy 2-core machine: every heavy
 * property test is sized so that it takes a few seconds on a quiet machine
 * and still passes its timeout three times slower. The full-size runs are
 * `npm run test:deep` (SPIVE_TEST_DEEP=1), which CI runs too (`.ci/run`).
 */

/** True under `npm run test:deep`. */
export const DEEP = process.env.SPIVE_TEST_DEEP === "1";

/**
 * How many runs a property test makes: `quick` under `npm test`, `deep` under
 * `npm run test:deep`; `FUZZ_RUNS=<n>` overrides both (reproducing a failure).
 */
export function propertyRuns(quick: number, deep: number): number {
  const forced = Number(process.env.FUZZ_RUNS);
  if (Number.isInteger(forced) && forced > 0) return forced;
  return DEEP ? deep : quick;
}
