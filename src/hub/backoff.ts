/**
 * Reconnect delays: exponential backoff with full jitter (AWS Architecture
 * Blog, "Exponential Backoff And Jitter"): a uniformly random wait in
 * [0, ceiling), the ceiling doubling from `baseMs` up to `capMs`.
 *
 * {@link reconnectDelay} doubles the ceiling with the time the hub has been
 * unreachable rather than with the number of attempts: the ceiling is
 * `baseMs` during the first `baseMs` of an outage, 2 × `baseMs` during the
 * next 2 × `baseMs`, 4 × during the next 4 ×, and so on. Attempts that fail
 * at once (a refused TCP connection while the hub restarts) thus cannot
 * drive the ceiling up within a second, and a hub that is back within
 * 3 × `baseMs` is reached within 2 × `baseMs` of listening (the ceiling of
 * the wait in progress) — with the defaults, a restart shorter than 3 s
 * brings the link back within 2 s. Over a long outage it makes about two
 * attempts per ceiling, like counting attempts, and at most one per
 * `capMs / 2` on average once at the cap. Pure; randomness injected.
 *
 * @example
 * ```ts
 * reconnectDelay(4_500, { baseMs: 1000, capMs: 60000 }, secureRandom); // 0 … 4000
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

/** The ceiling after `downMs` of outage: base × 2^⌊log₂(1 + downMs / base)⌋, capped. */
export function reconnectCeiling(
  downMs: number,
  policy: BackoffPolicy,
): number {
  const windows = Math.floor(
    Math.log2(1 + Math.max(0, downMs) / policy.baseMs),
  );
  return Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(windows, 30));
}

/** The wait before the next reconnect attempt when the hub has been unreachable for `downMs`. */
export function reconnectDelay(
  downMs: number,
  policy: BackoffPolicy,
  random: Random,
): number {
  return Math.floor(random.float() * reconnectCeiling(downMs, policy));
}

/** The classic form: the delay before attempt `attempt` (0-based), ceiling base × 2ⁿ. */
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
