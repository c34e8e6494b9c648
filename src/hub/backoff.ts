/**
 * Reconnect delays: exponential backoff with full jitter (AWS Architecture
 * Blog, "Exponential Backoff And Jitter"): attempt n waits a uniformly random
 * time in [0, min(cap, base × 2ⁿ)). Pure; randomness injected.
 *
 * @example
 * ```ts
 * fullJitterDelay(3, { baseMs: 1000, capMs: 60000 }, secureRandom); // 0 … 8000
 * ```
 * @module
 */
import type { Random } from "../random.ts";

/** Backoff bounds. */
export interface BackoffPolicy {
  /** First ceiling. @default 1000 */
  baseMs: number;
  /** Largest ceiling. @default 60000 */
  capMs: number;
}

/** The delay before reconnect attempt `attempt` (0-based). */
export function fullJitterDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: Random,
): number {
  const ceiling = Math.min(
    policy.capMs,
    policy.baseMs * 2 ** Math.min(attempt, 30),
  );
  return Math.floor(random.float() * ceiling);
}
