/**
 * Decoding the outer structure of an X.509 certificate (RFC 5280 §4.1)
 * without the X.509 library: TBSCertificate fields, validity (UTCTime and
 * GeneralizedTime), extensions, and the signature envelope. Internal.
 * @module
 */
import {
  children,
  decodeOne,
  DerError,
  expectTag,
  readOid,
  TAG,
  type Tlv,
} from "./_der.ts";
import type { ExtensionPart } from "./_certificate_fields.ts";

/** A signed envelope (certificate, CRL): signed bytes, algorithm, signature. */
export interface SignedParts {
  /** The whole `tbs` TLV (the signed bytes). */
  tbs: Tlv;
  /** signatureAlgorithm OID. */
  algorithm: string;
  /** signatureAlgorithm parameters TLV, when present. */
  parameters?: Uint8Array;
  /** Signature bits (BIT STRING content without the unused-bits byte). */
  signature: Uint8Array;
}

/** Split `SEQUENCE { tbs, AlgorithmIdentifier, BIT STRING }`. */
export function decodeSigned(der: Uint8Array, what: string): SignedParts {
  const top = children(expectTag(decodeOne(der), TAG.SEQUENCE, what).value);
  if (top.length !== 3) throw new DerError(`${what}: expected 3 fields`);
  const [tbs, alg, sig] = top;
  expectTag(tbs, TAG.SEQUENCE, `${what} tbs`);
  const algParts = children(
    expectTag(alg, TAG.SEQUENCE, "signatureAlgorithm").value,
  );
  const bits = expectTag(sig, TAG.BIT_STRING, "signatureValue").value;
  if (bits.length === 0 || bits[0] !== 0) {
    throw new DerError("signature BIT STRING has unused bits");
  }
  return {
    tbs,
    algorithm: readOid(expectTag(algParts[0], TAG.OID, "algorithm").value),
    parameters: algParts[1]?.raw,
    signature: bits.subarray(1),
  };
}

const TIME_RE = {
  [TAG.UTC_TIME]: /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/,
  [TAG.GENERALIZED_TIME]:
    /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d{1,3})\d*)?Z$/,
} as Record<number, RegExp>;

/** Read a `Time` (UTCTime or GeneralizedTime, UTC "Z" form). */
export function readTime(t: Tlv | undefined, what: string): Date {
  const re = t && TIME_RE[t.tag];
  const m = re && re.exec(String.fromCharCode(...t.value));
  if (!m) throw new DerError(`${what}: expected a UTCTime or GeneralizedTime`);
  let year = Number(m[1]);
  if (t.tag === TAG.UTC_TIME) year += year >= 50 ? 1900 : 2000;
  const [mo, d, h, mi, s] = m.slice(2, 7).map(Number);
  const ms = m[7] ? Number(m[7].padEnd(3, "0")) : 0;
  const date = new Date(0);
  date.setUTCFullYear(year, mo - 1, d);
  date.setUTCHours(h, mi, s, ms);
  if (
    date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 ||
    mi > 59 || s > 59
  ) {
    throw new DerError(
      `${what}: invalid date ${String.fromCharCode(...t.value)}`,
    );
  }
  return date;
}

/** Extensions in order (duplicates kept; the first one wins when read). */
export function readExtensionList(der: Uint8Array): ExtensionPart[] {
  return children(expectTag(decodeOne(der), TAG.SEQUENCE, "Extensions").value)
    .map((e) => {
      const parts = children(expectTag(e, TAG.SEQUENCE, "Extension").value);
      if (parts.length < 2 || parts.length > 3) {
        throw new DerError("Extension: expected 2 or 3 fields");
      }
      return {
        oid: readOid(expectTag(parts[0], TAG.OID, "extnID").value),
        critical: parts.length === 3 &&
          expectTag(parts[1], TAG.BOOLEAN, "critical").value[0] !== 0,
        value: new Uint8Array(
          expectTag(parts[parts.length - 1], TAG.OCTET_STRING, "extnValue")
            .value,
        ),
      };
    });
}

/** The decoded fields of a certificate. */
export interface DecodedCertificate extends SignedParts {
  /** Whole serialNumber INTEGER TLV. */
  serial: Uint8Array;
  issuer: Uint8Array;
  subject: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  spki: Uint8Array;
  extensions: ExtensionPart[];
}

/** Decode a DER certificate; throws `DerError` (or `Error`) when malformed. */
export function decodeCertificate(der: Uint8Array): DecodedCertificate {
  const signed = decodeSigned(der, "Certificate");
  const f = children(signed.tbs.value);
  let i = 0;
  if (f[i]?.tag === 0xa0) {
    const [v] = children(f[i].value);
    expectTag(v, TAG.INTEGER, "version");
    i++;
  }
  const serial = expectTag(f[i++], TAG.INTEGER, "serialNumber").raw;
  expectTag(f[i++], TAG.SEQUENCE, "signature");
  const issuer = expectTag(f[i++], TAG.SEQUENCE, "issuer").raw;
  const validity = children(
    expectTag(f[i++], TAG.SEQUENCE, "validity").value,
  );
  if (validity.length !== 2) throw new DerError("validity: expected 2 times");
  const subject = expectTag(f[i++], TAG.SEQUENCE, "subject").raw;
  const spki = expectTag(f[i++], TAG.SEQUENCE, "subjectPublicKeyInfo").raw;
  if (f[i]?.tag === 0x81) i++; // issuerUniqueID
  if (f[i]?.tag === 0x82) i++; // subjectUniqueID
  let extensions: ExtensionPart[] = [];
  if (f[i]?.tag === 0xa3) {
    extensions = readExtensionList(f[i].value);
    i++;
  }
  if (i !== f.length) throw new DerError("TBSCertificate: unexpected fields");
  return {
    ...signed,
    serial,
    issuer,
    subject,
    notBefore: readTime(validity[0], "notBefore"),
    notAfter: readTime(validity[1], "notAfter"),
    spki: new Uint8Array(spki),
    extensions,
  };
}
