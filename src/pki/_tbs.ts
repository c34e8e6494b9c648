/**
 * DER assembly of what `src/pki` signs: the TBSCertificate (RFC 5280
 * §4.1), and the common `SEQUENCE { tbs, signatureAlgorithm, signature }`
 * envelope of certificates, CSRs and CRLs, signed ECDSA P-256 / SHA-256
 * (`p256_key.ts`). Internal.
 * @module
 */
import {
  bitString,
  cachedOid,
  ctx,
  decodeOne,
  integer,
  OID,
  seq,
  time,
  tlv,
} from "./_der.ts";
import { toHex } from "../bytes.ts";
import { type P256PrivateKey, signEcdsaP256 } from "./p256_key.ts";
import { type DerExtension, encodeExtensions } from "./_extensions.ts";

/** AlgorithmIdentifier of ecdsa-with-SHA256 (no parameters, RFC 5758). */
export const ECDSA_SHA256_ALGORITHM: Uint8Array = seq(
  cachedOid(OID.ecdsaWithSha256),
);

const VERSION_3 = tlv(ctx(0, true), integer(2));

/** The fields of a v3 TBSCertificate. */
export interface TbsCertificateInput {
  /** DER INTEGER of the serial number. */
  serial: Uint8Array;
  issuerDer: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  subjectDer: Uint8Array;
  spki: Uint8Array;
  extensions: readonly DerExtension[];
}

/** DER of a v3 TBSCertificate signed with ecdsa-with-SHA256. */
export function encodeTbsCertificate(t: TbsCertificateInput): Uint8Array {
  return seq(
    VERSION_3,
    t.serial,
    ECDSA_SHA256_ALGORITHM,
    t.issuerDer,
    seq(time(t.notBefore), time(t.notAfter)),
    t.subjectDer,
    t.spki,
    tlv(ctx(3, true), encodeExtensions(t.extensions)),
  );
}

/** Sign `tbs` with a P-256 key: `SEQUENCE { tbs, ecdsa-with-SHA256, sig }`. */
export async function signEnvelope(
  tbs: Uint8Array,
  key: CryptoKey | P256PrivateKey,
): Promise<Uint8Array> {
  const sig = await signEcdsaP256(key, tbs, "der");
  return seq(tbs, ECDSA_SHA256_ALGORITHM, bitString(sig));
}

/** Serial hex as parsers report it: the INTEGER's content without a sign byte. */
export function serialHexOf(serialDer: Uint8Array): string {
  const v = decodeOne(serialDer).value;
  return toHex(v.length > 1 && v[0] === 0 && v[1] > 0x7f ? v.subarray(1) : v);
}
