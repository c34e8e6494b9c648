/**
 * The lazily loaded parts of `src/pki`: `@peculiar/x509` (with
 * `reflect-metadata`, the asn1 schemas and tsyringe) costs ~190 ms to
 * import, so nothing on the issue/parse/CSR path loads it. Only chain
 * verification, CRL creation and signature checks of algorithms Web Crypto
 * handling here does not cover pull it in, on first use.
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

/** The CRL writer (`_crl_create.ts`, uses the library). */
export function loadCrlCreator(): Promise<typeof import("./_crl_create.ts")> {
  return import("./_crl_create.ts");
}
