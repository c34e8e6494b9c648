/**
 * X.509 bundles (SPIFFE Trust Domain and Bundle §4): the CA certificates a
 * trust domain's X509-SVIDs chain to.
 *
 * @example
 * ```ts
 * const bundle = x509BundleFromCertificates("example.org", [root]);
 * encodeX509BundleDer(bundle); // concatenated DER, as the Workload API sends it
 * ```
 * @module
 */
import { bytesEqual, concat } from "../bytes.ts";
import {
  type Certificate,
  encodeCertificateChainPem,
  parseCertificateChainDer,
} from "../pki/mod.ts";
import { parseTrustDomain } from "../spiffeid/mod.ts";

/** The X.509 authorities of one trust domain. */
export interface X509Bundle {
  /** Trust domain name, e.g. `example.org`. */
  trustDomain: string;
  /** CA certificates (trust anchors). */
  authorities: readonly Certificate[];
}

/** Build a bundle; the trust domain is normalised (`spiffe://` prefix allowed). */
export function x509BundleFromCertificates(
  trustDomain: string,
  authorities: readonly Certificate[],
): X509Bundle {
  return {
    trustDomain: parseTrustDomain(trustDomain).name,
    authorities: [...authorities],
  };
}

/** Trust domain ID (`spiffe://example.org`), the key of bundle maps. */
export function trustDomainId(bundle: { trustDomain: string }): string {
  return `spiffe://${bundle.trustDomain}`;
}

/** Concatenated DER of the authorities (the Workload API wire form). */
export function encodeX509BundleDer(bundle: X509Bundle): Uint8Array {
  return concat(...bundle.authorities.map((c) => c.der));
}

/** PEM of the authorities, one block each. */
export function encodeX509BundlePem(bundle: X509Bundle): string {
  return encodeCertificateChainPem(bundle.authorities);
}

/** Parse concatenated DER back into a bundle. Throws `CERT_INVALID`. */
export function parseX509BundleDer(
  trustDomain: string,
  der: Uint8Array,
): X509Bundle {
  return x509BundleFromCertificates(trustDomain, parseCertificateChainDer(der));
}

/** True when both bundles hold the same certificates in the same order. */
export function x509BundlesEqual(a: X509Bundle, b: X509Bundle): boolean {
  return a.trustDomain === b.trustDomain &&
    a.authorities.length === b.authorities.length &&
    a.authorities.every((c, i) => bytesEqual(c.der, b.authorities[i].der));
}
