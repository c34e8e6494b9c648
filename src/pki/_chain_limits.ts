/**
 * Limits and defaults of chain verification, kept apart from the verifier
 * (loaded lazily, see `_lazy.ts`) so `chain.ts` can export them eagerly.
 * Internal; re-exported by `chain.ts`.
 * @module
 */

/** Longest accepted path, leaf and trust anchor included. */
export const MAX_CHAIN_LENGTH = 10;

/** Default tolerance for clocks that disagree (edge devices often do). */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 60_000;
