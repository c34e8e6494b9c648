/**
 * Token-bucket rate limiting, pure core with an injected clock: each key
 * (source address, node name) has a bucket of `perMinute` tokens refilled
 * continuously; a request takes one or is refused with the seconds until
 * one is back (the `Retry-After` value).
 *
 * @example
 * ```ts
 * const limiter = createRateLimiter({ perMinute: 60 });
 * const r = limiter.take("10.0.0.7");
 * if (!r.ok) respond429(r.retryAfterSeconds);
 * ```
 * @module
 */
import { type Clock, systemClock } from "../clock.ts";

/** Options of {@link createRateLimiter}. */
export interface RateLimiterOptions {
  /** Sustained requests per minute per key; 0 = no limit. */
  perMinute: number;
  /** Bucket size (burst). @default perMinute */
  burst?: number;
  /** @default systemClock */
  clock?: Clock;
  /** Buckets kept at most; full (idle) buckets are dropped first. @default 100_000 */
  maxKeys?: number;
}

/** Outcome of {@link RateLimiter.take}. */
export type RateDecision = { ok: true } | {
  ok: false;
  /** Whole seconds until a request would be allowed (≥ 1). */
  retryAfterSeconds: number;
};

/** A set of per-key token buckets. */
export interface RateLimiter {
  /** Take one token for `key`. */
  take(key: string): RateDecision;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Create a limiter; `perMinute: 0` allows everything. */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { perMinute } = options;
  if (!(Number.isInteger(perMinute) && perMinute >= 0)) {
    throw new RangeError(
      `perMinute: expected an integer >= 0, got ${perMinute}`,
    );
  }
  if (perMinute === 0) return { take: () => ({ ok: true }) };
  const clock = options.clock ?? systemClock;
  const burst = options.burst ?? perMinute;
  const maxKeys = options.maxKeys ?? 100_000;
  const perMs = perMinute / 60_000;
  const buckets = new Map<string, Bucket>();

  const refill = (b: Bucket, now: number) => {
    b.tokens = Math.min(burst, b.tokens + (now - b.at) * perMs);
    b.at = now;
  };
  const prune = (now: number) => {
    for (const [key, b] of buckets) {
      refill(b, now);
      if (b.tokens >= burst) buckets.delete(key);
    }
    // Still too many active keys: drop the oldest entries.
    for (const key of buckets.keys()) {
      if (buckets.size < maxKeys) break;
      buckets.delete(key);
    }
  };

  return {
    take(key) {
      const now = clock.now();
      let b = buckets.get(key);
      if (!b) {
        if (buckets.size >= maxKeys) prune(now);
        b = { tokens: burst, at: now };
        buckets.set(key, b);
      } else {
        refill(b, now);
      }
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return { ok: true };
      }
      const waitMs = (1 - b.tokens) / perMs;
      return {
        ok: false,
        retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
      };
    },
  };
}
