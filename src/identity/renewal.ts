/**
 * The pure renewal schedule: when a certificate is renewed and how long to
 * wait after a failure. No I/O, no timers — {@link ./scheduler.ts} applies
 * them with an injected clock and randomness.
 *
 * - Deadline = NotBefore + a random fraction in [renewAfterMin,
 *   renewAfterMax] of the lifetime (edgecore: 70–90 %), so a fleet enrolled
 *   at once does not renew at once.
 * - Backoff = backoffInitial doubling per failure, capped at backoffMax,
 *   with ±20 % jitter (never above the cap).
 *
 * @example
 * ```ts
 * const at = renewalDeadline(cert, { renewAfterMin: 0.7, renewAfterMax: 0.9 }, secureRandom);
 * const wait = backoffDelay(3, { backoffInitial: 2000, backoffMax: 32000 }, secureRandom);
 * ```
 * @module
 */
import type { Random } from "../random.ts";

/** Renewal policy (config `identity.renewal`, durations in ms). */
export interface RenewalPolicy {
  /** Earliest renewal point as a fraction of the lifetime. @default 0.7 */
  renewAfterMin: number;
  /** Latest renewal point as a fraction of the lifetime. @default 0.9 */
  renewAfterMax: number;
  /** First retry delay after a failure. @default 2000 */
  backoffInitial: number;
  /** Longest retry delay. @default 32000 */
  backoffMax: number;
}

/** The defaults of `identity.renewal`. */
export const DEFAULT_RENEWAL_POLICY: RenewalPolicy = {
  renewAfterMin: 0.7,
  renewAfterMax: 0.9,
  backoffInitial: 2000,
  backoffMax: 32000,
};

/** Validity of a certificate. */
export interface Validity {
  notBefore: Date;
  notAfter: Date;
}

/**
 * Time (ms since the epoch) at which a certificate should be renewed:
 * NotBefore + a random fraction in [min, max] of its lifetime.
 */
export function renewalDeadline(
  cert: Validity,
  policy: Pick<RenewalPolicy, "renewAfterMin" | "renewAfterMax">,
  random: Pick<Random, "float">,
): number {
  const start = cert.notBefore.getTime();
  const lifetime = Math.max(0, cert.notAfter.getTime() - start);
  const span = Math.max(0, policy.renewAfterMax - policy.renewAfterMin);
  const fraction = policy.renewAfterMin + span * random.float();
  return start + Math.floor(lifetime * fraction);
}

/**
 * Delay before retry number `failures` (1 = after the first failure):
 * `backoffInitial · 2^(failures-1)`, ±20 % jitter, capped at `backoffMax`.
 */
export function backoffDelay(
  failures: number,
  policy: Pick<RenewalPolicy, "backoffInitial" | "backoffMax">,
  random: Pick<Random, "float">,
): number {
  const n = Math.max(1, Math.floor(failures));
  const base = Math.min(
    policy.backoffMax,
    policy.backoffInitial * 2 ** Math.min(n - 1, 40),
  );
  const jittered = base * (0.8 + 0.4 * random.float());
  return Math.max(1, Math.min(policy.backoffMax, Math.round(jittered)));
}

/** True once `now` is at or past the certificate's NotAfter. */
export function isExpired(cert: Validity, now: number): boolean {
  return now >= cert.notAfter.getTime();
}
