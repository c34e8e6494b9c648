/**
 * PKI core: PEM, ECDSA P-256 keys (PKCS#8 and SEC1) and signing, CSRs, certificate
 * issuance and parsing, CRLs, the KubeEdge CA hash, and chain verification.
 * Knows ASN.1/X.509 and nothing about nodes or hubs.
 *
 * @example
 * ```ts
 * import { createSelfSignedCa, generateKeyPair, issueCertificate } from "./mod.ts";
 * const root = await createSelfSignedCa({ subject: { CN: "Hub Root" }, ttlMs: 86_400_000 });
 * ```
 * @module
 */
export * from "./pem.ts";
export * from "./keys.ts";
export {
  type EcdsaSignatureFormat,
  P256PrivateKey,
  signEcdsaP256,
  warmUpP256Signer,
} from "./p256_key.ts";
export * from "./csr.ts";
export * from "./certificate.ts";
export * from "./ca_hash.ts";
export * from "./crl.ts";
export * from "./chain.ts";
