/**
 * Certificate revocation lists (RFC 5280 §5): create (signed by a CA, with
 * CRL number and AKI), parse, verify the signature, look up serials.
 *
 * @example
 * ```ts
 * const der = await createCrl({
 *   issuer: root,
 *   revoked: [{ serialHex: leaf.serialHex, revokedAt: new Date(), reason: "keyCompromise" }],
 *   nextUpdate: new Date(Date.now() + 86_400_000),
 *   crlNumber: 1n,
 * });
 * const crl = parseCrlDer(der);
 * isRevoked(crl, leaf.serialHex); // true
 * ```
 * @module
 */
import { type Clock, systemClock } from "../clock.ts";
import { EdgeError } from "../errors.ts";
import { bytesEqual, normalizeSerialHex } from "../bytes.ts";
import {
  decodeOne,
  expectTag,
  integer,
  OID,
  readInteger,
  TAG,
} from "./_der.ts";
import { readAuthorityKeyId } from "./_extensions.ts";
import { readName } from "./_name.ts";
import { ECDSA_P256, x509 } from "./_x509.ts";
import type { Certificate, CertificateIssuer } from "./certificate.ts";
import { assertKeyMatchesCertificate } from "./keys.ts";
import { encodePem, parsePemBlock } from "./pem.ts";

/** PEM label of CRLs. */
export const CRL_LABEL = "X509 CRL";

/** CRL entry reasons (RFC 5280 §5.3.1). */
export type CrlReason =
  | "unspecified"
  | "keyCompromise"
  | "cACompromise"
  | "affiliationChanged"
  | "superseded"
  | "cessationOfOperation"
  | "certificateHold"
  | "removeFromCRL"
  | "privilegeWithdrawn"
  | "aACompromise";

const REASONS: CrlReason[] = [
  "unspecified",
  "keyCompromise",
  "cACompromise",
  "affiliationChanged",
  "superseded",
  "cessationOfOperation",
  "certificateHold",
  "unspecified", // 7 is unused
  "removeFromCRL",
  "privilegeWithdrawn",
  "aACompromise",
];

/** One revoked certificate. */
export interface RevokedEntry {
  /** Serial number, hex. */
  serialHex: string;
  /** When it was revoked. */
  revokedAt: Date;
  /** Reason code, when given. */
  reason?: CrlReason;
}

/** Options of {@link createCrl}. */
export interface CreateCrlOptions {
  /** The CA that signs the CRL (and issued the revoked certificates). */
  issuer: CertificateIssuer;
  /** Revoked certificates. */
  revoked: readonly RevokedEntry[];
  /** @default clock.now() */
  thisUpdate?: Date;
  /** When the next CRL is due. */
  nextUpdate: Date;
  /** Monotonic CRL number. */
  crlNumber: number | bigint;
  /** @default systemClock */
  clock?: Clock;
}

/** A parsed CRL. */
export interface Crl {
  /** DER of the CRL. */
  der: Uint8Array;
  /** Issuer as text. */
  issuer: string;
  /** DER of the issuer Name. */
  issuerDer: Uint8Array;
  thisUpdate: Date;
  nextUpdate?: Date;
  /** CRL number extension, when present. */
  crlNumber?: bigint;
  /** AuthorityKeyIdentifier keyIdentifier, hex. */
  authorityKeyId?: string;
  /** Revoked entries. */
  revoked: RevokedEntry[];
}

/** Create a DER CRL signed by `issuer`. Throws `CRL_INVALID`, `KEY_MISMATCH`. */
export async function createCrl(
  options: CreateCrlOptions,
): Promise<Uint8Array> {
  const { cert, keys } = options.issuer;
  if (!cert.isCa || !cert.keyUsages.includes("cRLSign")) {
    throw new EdgeError(
      "CRL_INVALID",
      `Issuer "${cert.subject}" is not a CA allowed to sign CRLs (cRLSign)`,
    );
  }
  await assertKeyMatchesCertificate(keys, cert, "CRL issuer certificate");
  const thisUpdate = options.thisUpdate ??
    new Date((options.clock ?? systemClock).now());
  if (options.nextUpdate.getTime() <= thisUpdate.getTime()) {
    throw new TypeError("nextUpdate must be after thisUpdate");
  }
  if (BigInt(options.crlNumber) < 0n) {
    throw new TypeError("crlNumber must not be negative");
  }
  const extensions = [
    new x509.Extension(
      OID.crlNumber,
      false,
      integer(options.crlNumber) as BufferSource,
    ),
  ];
  if (cert.subjectKeyId) {
    extensions.push(
      new x509.AuthorityKeyIdentifierExtension(cert.subjectKeyId),
    );
  }
  const crl = await x509.X509CrlGenerator.create({
    issuer: new x509.Name(cert.subjectDer as BufferSource),
    thisUpdate,
    nextUpdate: options.nextUpdate,
    signingKey: keys.privateKey,
    signingAlgorithm: ECDSA_P256,
    extensions,
    entries: options.revoked.map((e) => ({
      serialNumber: evenHex(normalizeSerialHex(e.serialHex)),
      revocationDate: e.revokedAt,
      reason: e.reason ? REASONS.indexOf(e.reason) : undefined,
    })),
  });
  return new Uint8Array(crl.rawData);
}

function evenHex(hex: string): string {
  if (!/^[0-9a-f]+$/.test(hex)) {
    throw new TypeError(`serialHex: expected hex digits, got "${hex}"`);
  }
  return hex.length % 2 ? "0" + hex : hex;
}

/** PEM (`X509 CRL`) of a DER CRL. */
export function encodeCrlPem(der: Uint8Array): string {
  return encodePem(CRL_LABEL, der);
}

function invalid(message: string, cause?: unknown): EdgeError {
  return new EdgeError("CRL_INVALID", message, { cause });
}

/** Parse a DER CRL (signature not checked: see {@link verifyCrlSignature}). */
export function parseCrlDer(der: Uint8Array): Crl {
  let crl: x509.X509Crl;
  try {
    decodeOne(der);
    crl = new x509.X509Crl(der as BufferSource);
  } catch (cause) {
    throw invalid("CRL: malformed DER", cause);
  }
  try {
    const issuer = readName(crl.issuerName);
    const numExt = crl.getExtension(OID.crlNumber);
    return {
      der: new Uint8Array(der),
      issuer: issuer.text,
      issuerDer: issuer.der,
      thisUpdate: crl.thisUpdate,
      nextUpdate: crl.nextUpdate,
      crlNumber: numExt
        ? readInteger(
          expectTag(
            decodeOne(new Uint8Array(numExt.value)),
            TAG.INTEGER,
            "CRLNumber",
          )
            .value,
        )
        : undefined,
      authorityKeyId: readAuthorityKeyId(extValue(crl, OID.authorityKeyId)),
      revoked: Array.from(crl.entries, (e) => ({
        serialHex: e.serialNumber.toLowerCase(),
        revokedAt: e.revocationDate,
        reason: e.reason === undefined ? undefined : REASONS[e.reason],
      })),
    };
  } catch (cause) {
    throw invalid("CRL: malformed contents", cause);
  }
}

function extValue(crl: x509.X509Crl, oid: string): Uint8Array | undefined {
  const ext = crl.getExtension(oid);
  return ext ? new Uint8Array(ext.value) : undefined;
}

/** Parse a PEM CRL (`X509 CRL`). */
export function parseCrl(pem: string): Crl {
  return parseCrlDer(parsePemBlock(pem, CRL_LABEL).der);
}

/** True when the CRL's signature verifies with `issuer`'s key and names match. */
export async function verifyCrlSignature(
  crl: Crl,
  issuer: Certificate,
): Promise<boolean> {
  if (!bytesEqual(crl.issuerDer, issuer.subjectDer)) return false;
  try {
    const x = new x509.X509Crl(crl.der as BufferSource);
    return await x.verify({
      publicKey: new x509.PublicKey(issuer.spki as BufferSource),
    });
  } catch {
    return false;
  }
}

/** True when `serialHex` is listed in `crl` (hex compared without leading zeros). */
export function isRevoked(crl: Crl, serialHex: string): boolean {
  const wanted = normalizeSerialHex(serialHex);
  return crl.revoked.some((e) => normalizeSerialHex(e.serialHex) === wanted);
}
