/**
 * When `src/pki` uses the system's OpenSSL (`_openssl.ts`, over FFI) for
 * P-256 key generation and signing instead of Web Crypto. Opening the
 * library costs ~10 ms and a few MiB of RSS, so a runtime with a handful
 * of workloads never pays for it: keys and signatures start on Web
 * Crypto, and only a burst (32 within 10 s: many SVIDs or JWT-SVIDs at
 * once) opens it; from then on every key and signature uses it
 * (synchronous, 15–20 times faster here). When libcrypto or the FFI
 * permission is missing, Web Crypto keeps doing the work.
 * {@link warmUpP256} opens it on purpose (benchmarks, tests, a service
 * about to issue many certificates). Internal.
 * @module
 */
import { type NativeP256, openNativeP256 } from "./_openssl.ts";

/** Which implementation makes P-256 keys and signatures. */
export type P256EngineName = "webcrypto" | "openssl";

let engine: NativeP256 | undefined;
/** Opening was tried (successfully or not). */
let tried = false;

/**
 * Open libcrypto now (once). Returns the engine in use afterwards:
 * "openssl", or "webcrypto" when the library cannot be opened.
 */
export function warmUpP256(): P256EngineName {
  if (!tried) {
    tried = true;
    try {
      engine = openNativeP256();
    } catch {
      engine = undefined; // Web Crypto keeps working
    }
  }
  return p256EngineName();
}

/** The implementation in use now. */
export function p256EngineName(): P256EngineName {
  return engine ? "openssl" : "webcrypto";
}

/** Keys and signatures within {@link BURST_WINDOW_MS} that open the library. */
export const BURST_SIGNATURES = 32;
/** Window of the burst count. */
export const BURST_WINDOW_MS = 10_000;

let windowStart = -Infinity;
let inWindow = 0;

/**
 * The engine for one key or signature when it is open; otherwise
 * `undefined` (the caller uses Web Crypto) and the operation counts
 * towards the burst that opens it.
 */
export function signingP256(): NativeP256 | undefined {
  if (engine || tried) return engine;
  const now = performance.now();
  if (now - windowStart > BURST_WINDOW_MS) {
    windowStart = now;
    inWindow = 0;
  }
  if (++inWindow >= BURST_SIGNATURES) warmUpP256();
  return undefined;
}

/** The engine when it is open (never opens it). */
export function loadedP256(): NativeP256 | undefined {
  return engine;
}

/** True once opening was tried (start-up cost guard in tests). */
export function p256Requested(): boolean {
  return tried;
}
