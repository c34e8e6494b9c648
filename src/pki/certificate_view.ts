/**
 * Parsing X.509 certificates into a typed, library-free {@link Certificate}
 * view (our own DER reader), PEM encoding, and signature checks (Web
 * Crypto; the X.509 library is loaded only for exotic algorithms). Re-exported by `certificate.ts`.
 *
 * @example
 * ```ts
 * const [leaf, ...intermediates] = parseCertificateChain(pemText);
 * console.log(leaf.uris, leaf.notAfter);
 * ```
 * @module
 */
import { EdgeError } from "../errors.ts";
import { concat } from "../bytes.ts";
import { children } from "./_der.ts";
import { certificateFromParts } from "./_certificate_fields.ts";
import type { KeyUsageName, NameConstraints } from "./_extensions.ts";
import { readName } from "./_name.ts";
import { decodeCertificate } from "./_certificate_der.ts";
import { verifySignedData } from "./_signature.ts";
import { serialHexOf } from "./_tbs.ts";
import { loadX509 } from "./_lazy.ts";
import { encodePem, encodePemBlocks, parsePemBlocks } from "./pem.ts";

export type { ConstraintName, NameConstraints } from "./_extensions.ts";

/** PEM label of certificates. */
export const CERTIFICATE_LABEL = "CERTIFICATE";

/** A parsed certificate: everything callers need, no library types. */
export interface Certificate {
  /** DER of the certificate. */
  der: Uint8Array;
  /** Serial number, lowercase hex (as encoded, without sign byte). */
  serialHex: string;
  /** Subject as text, e.g. `O=system:nodes, CN=system:node:pi-1`. */
  subject: string;
  /** DER of the subject Name. */
  subjectDer: Uint8Array;
  /** First subject CN, if any. */
  commonName?: string;
  /** Subject O values. */
  organizations: string[];
  /** Issuer as text. */
  issuer: string;
  /** DER of the issuer Name. */
  issuerDer: Uint8Array;
  /** Start of validity. */
  notBefore: Date;
  /** End of validity. */
  notAfter: Date;
  /** URI SANs. */
  uris: string[];
  /** DNS SANs. */
  dnsNames: string[];
  /** IP SANs. */
  ipAddresses: string[];
  /** basicConstraints cA. */
  isCa: boolean;
  /** basicConstraints pathLenConstraint, when present. */
  pathLength?: number;
  /** KeyUsage bits present. */
  keyUsages: KeyUsageName[];
  /** EKUs (`serverAuth`, `clientAuth`, or an OID). */
  extKeyUsages: string[];
  /** NameConstraints, when present. */
  nameConstraints?: NameConstraints;
  /** SubjectKeyIdentifier, hex. */
  subjectKeyId?: string;
  /** AuthorityKeyIdentifier keyIdentifier, hex. */
  authorityKeyId?: string;
  /** OIDs of all extensions marked critical. */
  criticalExtensions: string[];
  /** SubjectPublicKeyInfo DER. */
  spki: Uint8Array;
}

function invalid(message: string, cause?: unknown): EdgeError {
  return new EdgeError("CERT_INVALID", message, { cause });
}

/** Parse a DER certificate. Throws `CERT_INVALID` when malformed. */
export function parseCertificateDer(der: Uint8Array): Certificate {
  let cert: ReturnType<typeof decodeCertificate>;
  try {
    cert = decodeCertificate(der);
  } catch (cause) {
    throw invalid("Certificate: malformed X.509 DER", cause);
  }
  try {
    return certificateFromParts({
      der: new Uint8Array(der),
      serialHex: serialHexOf(cert.serial),
      subject: readName(cert.subject),
      issuer: readName(cert.issuer),
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
      extensions: cert.extensions,
      spki: cert.spki,
    });
  } catch (cause) {
    if (cause instanceof EdgeError && cause.code === "CERT_INVALID") {
      throw cause;
    }
    throw invalid("Certificate: malformed extension or name", cause);
  }
}

/** Parse the first `CERTIFICATE` block of a PEM text. */
export function parseCertificate(pem: string): Certificate {
  return parseCertificateDer(parsePemBlocks(pem, CERTIFICATE_LABEL)[0].der);
}

/** Parse every `CERTIFICATE` block of a PEM text, in order (leaf first). */
export function parseCertificateChain(pem: string): Certificate[] {
  return parsePemBlocks(pem, CERTIFICATE_LABEL).map((b) =>
    parseCertificateDer(b.der)
  );
}

/**
 * Parse concatenated DER certificates (as in the Workload API `x509_svid`
 * and `bundle` fields).
 */
export function parseCertificateChainDer(der: Uint8Array): Certificate[] {
  try {
    return children(der).map((tlv) => parseCertificateDer(tlv.raw));
  } catch (cause) {
    if (cause instanceof EdgeError) throw cause;
    throw invalid("Certificate chain: malformed concatenated DER", cause);
  }
}

/** PEM of one certificate. */
export function encodeCertificatePem(cert: Certificate | Uint8Array): string {
  return encodePem(
    CERTIFICATE_LABEL,
    cert instanceof Uint8Array ? cert : cert.der,
  );
}

/** PEM of several certificates (leaf first). */
export function encodeCertificateChainPem(
  certs: readonly Certificate[],
): string {
  return encodePemBlocks(
    certs.map((c) => ({ label: CERTIFICATE_LABEL, der: c.der })),
  );
}

/** Concatenated DER of several certificates (Workload API form). */
export function encodeCertificateChainDer(
  certs: readonly Certificate[],
): Uint8Array {
  return concat(...certs.map((c) => c.der));
}

/**
 * True when `cert`'s signature verifies with `issuer`'s public key (a
 * certificate or a CryptoKey). Checks the signature only — not validity,
 * names or constraints (see `chain.ts` for that).
 */
export async function verifyCertificateSignature(
  cert: Certificate,
  issuer: Certificate | CryptoKey,
): Promise<boolean> {
  try {
    const c = decodeCertificate(cert.der);
    const key = issuer instanceof CryptoKey ? issuer : issuer.spki;
    const ok = await verifySignedData(key, {
      algorithm: c.algorithm,
      signature: c.signature,
      data: c.tbs.raw,
    });
    if (ok !== undefined) return ok;
    // An algorithm not handled above (e.g. RSA-PSS): ask the library.
    const { x509 } = await loadX509();
    const x = new x509.X509Certificate(cert.der as BufferSource);
    const publicKey = issuer instanceof CryptoKey
      ? issuer
      : new x509.PublicKey(issuer.spki as BufferSource);
    return await x.verify({ publicKey, signatureOnly: true });
  } catch {
    return false;
  }
}
