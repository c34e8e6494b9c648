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
  children,
  decodeOne,
  expectTag,
  OID,
  readInteger,
  TAG,
} from "./_der.ts";
import {
  decodeSigned,
  readExtensionList,
  readTime,
} from "./_certificate_der.ts";
import type { ExtensionPart } from "./_certificate_fields.ts";
import { readAuthorityKeyId } from "./_extensions.ts";
import { readName } from "./_name.ts";
import { verifySignedData } from "./_signature.ts";
import { serialHexOf } from "./_tbs.ts";
import { loadX509 } from "./_lazy.ts";
import { encodeCrl } from "./_crl_create.ts";
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
  return await encodeCrl({
    issuerDer: cert.subjectDer,
    subjectKeyId: cert.subjectKeyId,
    thisUpdate,
    nextUpdate: options.nextUpdate,
    crlNumber: options.crlNumber,
    signingKey: keys.privateKey,
    entries: options.revoked.map((e) => ({
      serialHex: evenHex(normalizeSerialHex(e.serialHex)),
      revokedAt: e.revokedAt,
      reason: e.reason ? REASONS.indexOf(e.reason) : undefined,
    })),
  });
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

const extValue = (exts: readonly ExtensionPart[], oid: string) =>
  exts.find((e) => e.oid === oid)?.value;

const CRL_REASON_OID = "2.5.29.21";
const ENUMERATED = 0x0a;

function readEntry(entry: Uint8Array): RevokedEntry {
  const [serial, date, exts, ...rest] = children(
    expectTag(decodeOne(entry), TAG.SEQUENCE, "revokedCertificate").value,
  );
  if (rest.length) throw new Error("revokedCertificate: too many fields");
  const reasonDer = exts &&
    extValue(readExtensionList(exts.raw), CRL_REASON_OID);
  const code = reasonDer &&
    readInteger(expectTag(decodeOne(reasonDer), ENUMERATED, "CRLReason").value);
  return {
    serialHex: serialHexOf(expectTag(serial, TAG.INTEGER, "serial").raw),
    revokedAt: readTime(date, "revocationDate"),
    reason: code === undefined ? undefined : REASONS[Number(code)],
  };
}

/** Parse a DER CRL (signature not checked: see {@link verifyCrlSignature}). */
export function parseCrlDer(der: Uint8Array): Crl {
  let fields;
  try {
    fields = children(decodeSigned(der, "CertificateList").tbs.value);
  } catch (cause) {
    throw invalid("CRL: malformed DER", cause);
  }
  try {
    let i = fields[0]?.tag === TAG.INTEGER ? 1 : 0; // version
    expectTag(fields[i++], TAG.SEQUENCE, "signature");
    const issuer = readName(expectTag(fields[i++], TAG.SEQUENCE, "issuer").raw);
    const thisUpdate = readTime(fields[i++], "thisUpdate");
    let nextUpdate: Date | undefined;
    const t = fields[i]?.tag;
    if (t === TAG.UTC_TIME || t === TAG.GENERALIZED_TIME) {
      nextUpdate = readTime(fields[i++], "nextUpdate");
    }
    let revoked: RevokedEntry[] = [];
    if (fields[i]?.tag === TAG.SEQUENCE) {
      revoked = children(fields[i++].value).map((e) => readEntry(e.raw));
    }
    let exts: ExtensionPart[] = [];
    if (fields[i]?.tag === 0xa0) exts = readExtensionList(fields[i++].value);
    if (i !== fields.length) throw new Error("TBSCertList: unexpected fields");
    const numDer = extValue(exts, OID.crlNumber);
    return {
      der: new Uint8Array(der),
      issuer: issuer.text,
      issuerDer: issuer.der,
      thisUpdate,
      nextUpdate,
      crlNumber: numDer
        ? readInteger(
          expectTag(decodeOne(numDer), TAG.INTEGER, "CRLNumber").value,
        )
        : undefined,
      authorityKeyId: readAuthorityKeyId(extValue(exts, OID.authorityKeyId)),
      revoked,
    };
  } catch (cause) {
    throw invalid("CRL: malformed contents", cause);
  }
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
    const signed = decodeSigned(crl.der, "CertificateList");
    const ok = await verifySignedData(issuer.spki, {
      algorithm: signed.algorithm,
      signature: signed.signature,
      data: signed.tbs.raw,
    });
    if (ok !== undefined) return ok;
    // An algorithm not handled above (e.g. RSA-PSS): ask the library.
    const { x509 } = await loadX509();
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
