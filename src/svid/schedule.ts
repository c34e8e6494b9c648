/**
 * Pure rotation and health schedule of X509-SVIDs and the node
 * intermediate. No clock, no I/O: times in ms since the epoch in, times out.
 *
 * SPIRE's agent behaviour is the model: an SVID is rotated at half its
 * lifetime, ± 10 % jitter so that many workloads don't rotate together.
 * @module
 */

/** Jitter around the half-life, as a fraction of the half-life. */
export const ROTATION_JITTER = 0.1;

/** Shortest retry delay after a failed issuance. */
export const RETRY_MIN_MS = 1_000;
/** Longest retry delay after failed issuances. */
export const RETRY_MAX_MS = 30_000;

/**
 * When to rotate an SVID valid from `issuedAt` to `notAfter`: the half-life
 * scaled by `1 ± ROTATION_JITTER`, with `u` a uniform random number in
 * [0, 1) choosing where in that window.
 *
 * @example
 * ```ts
 * rotationTime(0, 3_600_000, 0.5); // 1_800_000 (exactly half-life)
 * ```
 */
export function rotationTime(
  issuedAt: number,
  notAfter: number,
  u: number,
): number {
  const life = Math.max(0, notAfter - issuedAt);
  const factor = 0.5 * (1 + ROTATION_JITTER * (2 * u - 1));
  return issuedAt + Math.floor(life * factor);
}

/** Lifetime to request for an SVID issued at `now`: the TTL capped at the issuer's NotAfter. */
export function cappedTtl(ttlMs: number, now: number, issuerNotAfter: number) {
  return Math.min(ttlMs, issuerNotAfter - now);
}

/** Health of the node intermediate. */
export type IntermediateHealth =
  /** No intermediate yet: nothing can be issued. */
  | "missing"
  /** Valid with enough life left. */
  | "ok"
  /** Renewal is overdue: less than the degraded margin remains; SVIDs still issued and served. */
  | "degraded"
  /** Past NotAfter: nothing new is issued; SVIDs already issued are served until they expire. */
  | "expired";

/**
 * Health of an intermediate valid `[notBefore, notAfter]` at `now`: degraded
 * once less than `max(degradedFraction × lifetime, svidTtlMs)` remains —
 * renewal normally happens at half-life, so by then it is overdue, and
 * new SVIDs are already being cut short.
 */
export function intermediateHealth(
  window: { notBefore: number; notAfter: number } | undefined,
  now: number,
  svidTtlMs: number,
  degradedFraction = 0.25,
): IntermediateHealth {
  if (!window) return "missing";
  if (now >= window.notAfter) return "expired";
  const margin = Math.max(
    (window.notAfter - window.notBefore) * degradedFraction,
    svidTtlMs,
  );
  return window.notAfter - now <= margin ? "degraded" : "ok";
}

/** Retry delay after `failures` consecutive failures (1 s doubling to 30 s). */
export function retryDelay(failures: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.max(0, failures - 1));
}
