/**
 * Deno's native crypto library seeds its random generator once per process,
 * at the first TLS handshake or Web Crypto key generation: 40–60 ms of CPU
 * here (more on a Pi). {@link warmUpTlsRandom} starts one throw-away key
 * generation, which runs on Deno's blocking thread pool, so that work is
 * done on another core before the first handshake would pay it. Our own
 * key generation does not need it (`src/pki/_scalar.ts`).
 * @module
 */

let started = false;

/** Seed the TLS random generator in the background, once per process. */
export function warmUpTlsRandom(): void {
  if (started) return;
  started = true;
  crypto.subtle.generateKey(
    { name: "ECDSA", namedCurve: "P-256" },
    false,
    ["sign"],
  ).catch(() => {});
}
