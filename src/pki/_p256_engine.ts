/**
 * When `src/pki` signs with `@noble/curves` (`_p256.ts`) instead of Web
 * Crypto. Loading the library costs ~20 ms, its first multiplication builds
 * the base-point table (~50 ms, blocking) and together they add ~14 MiB of
 * RSS, so a runtime with a handful of workloads never pays for it: signing
 * starts on Web Crypto, and only a burst of signatures (32 within 10 s:
 * many SVIDs or JWT-SVIDs at once) loads the library, in the background;
 * once it is warm every signature uses it (synchronous, faster).
 * {@link warmUpP256} loads it on purpose (benchmarks, tests, a service
 * about to issue many certificates). Internal.
 * @module
 */
import { loadP256 } from "./_lazy.ts";

/** The signing functions of `_p256.ts`. */
export type P256Engine = typeof import("./_p256.ts");

let engine: P256Engine | undefined;
let warming: Promise<P256Engine> | undefined;

/** Load `@noble/curves` and build its table; resolves once signatures use it. */
export function warmUpP256(): Promise<P256Engine> {
  warming ??= loadP256().then((m) => {
    m.warmUp();
    engine = m;
    return m;
  }, (err) => {
    warming = undefined; // let a later call try again
    throw err;
  });
  return warming;
}

/** Signatures within {@link BURST_WINDOW_MS} that load the library. */
export const BURST_SIGNATURES = 32;
/** Window of the burst count. */
export const BURST_WINDOW_MS = 10_000;

let windowStart = -Infinity;
let inWindow = 0;

/**
 * The engine for one signature when it is ready; otherwise `undefined`
 * (the caller signs with Web Crypto) and the signature counts towards the
 * burst that starts loading it in the background.
 */
export function signingP256(): P256Engine | undefined {
  if (engine || warming) return engine;
  const now = performance.now();
  if (now - windowStart > BURST_WINDOW_MS) {
    windowStart = now;
    inWindow = 0;
  }
  if (++inWindow >= BURST_SIGNATURES) {
    warmUpP256().catch(() => {}); // Web Crypto keeps working
  }
  return undefined;
}

/** The engine when it is loaded (never starts loading it). */
export function loadedP256(): P256Engine | undefined {
  return engine;
}

/** True once loading was asked for (start-up cost guard in tests). */
export function p256Requested(): boolean {
  return warming !== undefined;
}
