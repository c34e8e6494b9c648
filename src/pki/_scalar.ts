/**
 * P-256 private scalars: the group order, the range check and drawing a
 * fresh scalar from the CSPRNG. Shared by the Web Crypto and libcrypto
 * paths of `p256_key.ts`. Internal.
 * @module
 */

/** Order n of the P-256 group, big-endian. */
export const P256_N = Uint8Array.from(
  "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551".match(
    /../g,
  )!,
  (h) => parseInt(h, 16),
);

/** True when the big-endian 32-byte `d` is in [1, n-1]. */
export function inRange(d: Uint8Array): boolean {
  if (d.length !== 32 || d.every((b) => b === 0)) return false;
  for (let i = 0; i < 32; i++) {
    if (d[i] !== P256_N[i]) return d[i] < P256_N[i];
  }
  return false; // d == n
}

/**
 * A uniformly random scalar in [1, n-1]: 32 bytes from `crypto.getRandomValues`
 * until they are in range (FIPS 186-5 A.2.2, rejection sampling; a retry is
 * needed about once in 2^32 draws).
 */
export function randomScalar(): Uint8Array {
  const d = new Uint8Array(32);
  do {
    crypto.getRandomValues(d);
  } while (!inRange(d));
  return d;
}
