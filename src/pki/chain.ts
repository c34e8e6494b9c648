/**
 * X.509 chain verification (RFC 5280 §6.1), checked against OpenSSL 3 in
 * `tests/pki_openssl/verify_test.ts`: path building by name and key id,
 * signatures (ECDSA P-256/P-384, RSA), validity with clock skew,
 * basicConstraints, pathLen, keyUsage, extendedKeyUsage (on every
 * certificate, as OpenSSL does), name constraints (URI, DNS, email, IP,
 * directory name), unknown critical extensions and trust anchors. Plus the
 * X509-SVID leaf rules via {@link verifySvidChain}.
 *
 * Differences from OpenSSL, all stricter: issuers need basicConstraints
 * cA=true (no keyUsage-only v3 CAs), the trust anchor's self-signature is
 * verified, and purpose `any` still requires a TLS-capable leaf keyUsage.
 * Policy extensions are accepted but not processed (OpenSSL's default).
 *
 * The verifier (`_chain_verify.ts`) runs on `@peculiar/x509`, which is
 * loaded on the first call, not when this module is imported.
 *
 * @example
 * ```ts
 * const { chain } = await verifyChain(leafPem, [intermediatePem], [rootPem], {
 *   purpose: "clientAuth",
 * });
 * ```
 * @module
 */
import type { Clock } from "../clock.ts";
import type { ChainPurpose } from "./_chain_rules.ts";
import type { x509 } from "./_x509.ts";
import { DEFAULT_MAX_CLOCK_SKEW_MS } from "./_chain_limits.ts";
import { loadChainVerifier } from "./_lazy.ts";

export { ChainError } from "./_chain_error.ts";
export type { ChainFailureReason } from "./_chain_error.ts";
export type { ChainPurpose } from "./_chain_rules.ts";
export {
  DEFAULT_MAX_CLOCK_SKEW_MS,
  MAX_CHAIN_LENGTH,
} from "./_chain_limits.ts";

/** A certificate as an object (ours or the library's), PEM text or DER bytes. */
export type CertificateInput =
  | x509.X509Certificate
  | { readonly der: Uint8Array }
  | string
  | Uint8Array
  | ArrayBuffer;

/** Options of {@link verifyChain}. */
export interface VerifyChainOptions {
  /** Verification time. @default clock.now() */
  at?: Date | number;
  /** Clock used when `at` is not given. @default systemClock */
  clock?: Clock;
  /**
   * Tolerance applied to both ends of every validity window, in ms.
   * @default 60_000 ({@link DEFAULT_MAX_CLOCK_SKEW_MS})
   */
  maxClockSkewMs?: number;
  /**
   * Purpose the leaf is used for; like OpenSSL's `-purpose sslclient` /
   * `sslserver`, an extendedKeyUsage on any certificate must include it and
   * a leaf keyUsage must allow it. `any` skips extendedKeyUsage but still
   * wants a leaf keyUsage (if present) with digitalSignature,
   * keyEncipherment or keyAgreement.
   * @default "any"
   */
  purpose?: ChainPurpose;
  /** With `requireSpiffeId`: the leaf's SPIFFE ID must be in this trust domain. */
  trustDomain?: string;
  /** Apply the X509-SVID leaf rules (see {@link verifySvidChain}). @default false */
  requireSpiffeId?: boolean;
}

/** A verified chain. */
export interface VerifiedChain {
  /** The path used: leaf first, trust anchor (one of `roots`) last. */
  chain: x509.X509Certificate[];
  /** The leaf's SPIFFE ID, when `requireSpiffeId` was set. */
  spiffeId?: string;
}

/**
 * Verify that `leaf` chains through `intermediates` (untrusted helpers, any
 * order) to one of `roots` (trust anchors). Resolves with the path used;
 * rejects with a {@link ChainError} (`code` `CHAIN_INVALID`, `reason` the
 * failed rule) or `CERT_INVALID` for unparsable input.
 *
 * @example
 * ```ts
 * try {
 *   await verifyChain(leaf, intermediates, roots, { purpose: "serverAuth" });
 * } catch (err) {
 *   if (err instanceof ChainError && err.reason === "expired") renew();
 * }
 * ```
 */
export async function verifyChain(
  leaf: CertificateInput,
  intermediates: readonly CertificateInput[],
  roots: readonly CertificateInput[],
  options: VerifyChainOptions = {},
): Promise<VerifiedChain> {
  const skewMs = options.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS;
  if (!(skewMs >= 0)) {
    throw new RangeError(
      `maxClockSkewMs: expected a number >= 0, got ${skewMs}`,
    );
  }
  // The verifier works on the X.509 library, loaded only now (see _lazy.ts).
  const { verifyChainPaths } = await loadChainVerifier();
  return await verifyChainPaths(leaf, intermediates, roots, options, skewMs);
}

/**
 * Load the chain verifier and the X.509 library it runs on (~190 ms, once)
 * now, so that the first {@link verifyChain} does not pay for it: a server
 * that verifies client chains calls this at start-up.
 */
export async function preloadChainVerifier(): Promise<void> {
  await loadChainVerifier();
}

/**
 * Verify an X509-SVID: {@link verifyChain} plus the SVID leaf rules (exactly
 * one URI SAN, a `spiffe://` ID with a path, in `trustDomain` when given;
 * leaf not a CA; keyUsage digitalSignature without keyCertSign/cRLSign).
 * Resolves with the chain and the SPIFFE ID.
 *
 * @example
 * ```ts
 * const { spiffeId } = await verifySvidChain(svid[0], svid.slice(1), bundle, {
 *   trustDomain: "example.org",
 * });
 * ```
 */
export async function verifySvidChain(
  leaf: CertificateInput,
  intermediates: readonly CertificateInput[],
  roots: readonly CertificateInput[],
  options: Omit<VerifyChainOptions, "requireSpiffeId"> = {},
): Promise<Required<VerifiedChain>> {
  const res = await verifyChain(leaf, intermediates, roots, {
    ...options,
    requireSpiffeId: true,
  });
  return { chain: res.chain, spiffeId: res.spiffeId! };
}
