/**
 * The lazily loaded parts of `src/pki`: `@peculiar/x509` (with
 * `reflect-metadata`, the asn1 schemas and tsyringe) costs ~190 ms to
 * import, so nothing on the issue/parse/CSR/CRL path loads it. Only chain
 * verification and signature checks of algorithms Web Crypto handling here
 * does not cover pull it in, on first use. (The system's libcrypto is
 * opened once signatures come in bulk, see `_p256_engine.ts`.)
 *
 * Every specifier below is a static string so `deno compile` still bundles
 * the modules (never compute these paths). Internal.
 * @module
 */

/** The X.509 library module (`_x509.ts`), loaded on first call. */
export function loadX509(): Promise<typeof import("./_x509.ts")> {
  return import("./_x509.ts");
}

/** The chain verifier (`_chain_verify.ts`, uses the library). */
export function loadChainVerifier(): Promise<
  typeof import("./_chain_verify.ts")
> {
  return import("./_chain_verify.ts");
}
