/**
 * The one module that touches `@noble/curves`: ECDSA P-256 / SHA-256
 * signing from a raw private scalar (RFC 6979 deterministic nonces), public
 * point derivation and point validation. Pure JavaScript, synchronous:
 * Deno's Web Crypto signs slower per call here, through an async round
 * trip. Loaded lazily (`_p256_engine.ts`). Verification stays with Web
 * Crypto (`_signature.ts`). Internal.
 * @module
 */
import { p256 } from "@noble/curves/nist.js";

/** Length of a P-256 scalar and of each signature half. */
export const P256_SCALAR_BYTES = 32;

/**
 * Raw `r || s` (64 bytes) ECDSA signature of SHA-256(`data`) with the
 * scalar `d`. Low-S normalised (any verifier accepts it).
 */
export function p256SignRaw(d: Uint8Array, data: Uint8Array): Uint8Array {
  return p256.sign(data, d);
}

/** Uncompressed public point (`04 || x || y`, 65 bytes) of the scalar `d`. */
export function p256PublicPoint(d: Uint8Array): Uint8Array {
  return p256.getPublicKey(d, false);
}

/** True when `d` is a valid P-256 private scalar (32 bytes, 0 < d < n). */
export function isP256Scalar(d: Uint8Array): boolean {
  return d.length === P256_SCALAR_BYTES && p256.utils.isValidSecretKey(d);
}

/** True when `point` is an uncompressed point on the P-256 curve. */
export function isP256Point(point: Uint8Array): boolean {
  if (point.length !== 65 || point[0] !== 4) return false;
  try {
    p256.Point.fromBytes(point).assertValidity();
    return true;
  } catch {
    return false;
  }
}

/** Build the base-point table now (the first multiplication does it, ~50 ms). */
export function warmUp(): void {
  const d = new Uint8Array(P256_SCALAR_BYTES);
  d[31] = 1;
  p256.getPublicKey(d, false);
}
