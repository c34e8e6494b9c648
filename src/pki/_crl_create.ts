/**
 * CRL writing (RFC 5280 §5.1) with our DER encoder: a v2 TBSCertList with
 * the CRL number and (when known) AKI extensions, revoked entries with an
 * optional reason code, signed ECDSA P-256 / SHA-256. Internal to `crl.ts`.
 * @module
 */
import { fromHex } from "../bytes.ts";
import { ctx, integer, integerFromHex, OID, seq, time, tlv } from "./_der.ts";
import {
  buildAuthorityKeyId,
  type DerExtension,
  encodeExtensions,
} from "./_extensions.ts";
import { ECDSA_SHA256_ALGORITHM, signEnvelope } from "./_tbs.ts";

/** One revoked entry. */
export interface CrlEntryInput {
  /** Even-length lowercase hex. */
  serialHex: string;
  revokedAt: Date;
  /** RFC 5280 reason code. */
  reason?: number;
}

/** What {@link encodeCrl} signs. */
export interface CrlInput {
  issuerDer: Uint8Array;
  subjectKeyId?: string;
  thisUpdate: Date;
  nextUpdate: Date;
  crlNumber: number | bigint;
  entries: readonly CrlEntryInput[];
  signingKey: CryptoKey;
}

const CRL_REASON_OID = "2.5.29.21";
const ENUMERATED = 0x0a;

function encodeEntry(e: CrlEntryInput): Uint8Array {
  const fields = [integerFromHex(e.serialHex), time(e.revokedAt)];
  if (e.reason !== undefined) {
    fields.push(encodeExtensions([{
      oid: CRL_REASON_OID,
      critical: false,
      value: tlv(ENUMERATED, Uint8Array.of(e.reason)),
    }]));
  }
  return seq(...fields);
}

/** DER of a v2 CRL with CRL number and (when known) AKI, ECDSA P-256 signed. */
export async function encodeCrl(o: CrlInput): Promise<Uint8Array> {
  const extensions: DerExtension[] = [
    { oid: OID.crlNumber, critical: false, value: integer(o.crlNumber) },
  ];
  if (o.subjectKeyId) {
    extensions.push(buildAuthorityKeyId(fromHex(o.subjectKeyId)));
  }
  const tbs = seq(
    integer(1), // v2
    ECDSA_SHA256_ALGORITHM,
    o.issuerDer,
    time(o.thisUpdate),
    time(o.nextUpdate),
    ...(o.entries.length ? [seq(...o.entries.map(encodeEntry))] : []),
    tlv(ctx(0, true), encodeExtensions(extensions)),
  );
  return await signEnvelope(tbs, o.signingKey);
}
