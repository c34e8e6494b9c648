/**
 * The one randomness source, injected wherever a choice is random (serials,
 * jitter) so tests can make it deterministic.
 * @module
 */

/** Source of randomness. */
export interface Random {
  /** `n` uniformly random bytes. */
  bytes(n: number): Uint8Array;
  /** A float in [0, 1). */
  float(): number;
}

/** Cryptographically secure randomness from Web Crypto. */
export const secureRandom: Random = {
  bytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
  float: () => {
    const b = crypto.getRandomValues(new Uint32Array(2));
    // 53 random bits → [0, 1)
    return (b[0] * 2 ** 21 + (b[1] >>> 11)) / 2 ** 53;
  },
};
