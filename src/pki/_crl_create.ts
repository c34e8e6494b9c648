/**
 * CRL writing with `@peculiar/x509`, loaded lazily by `crl.ts` (see
 * `_lazy.ts`): creating CRLs is a hub-side, off-start-up operation.
 * Internal.
 * @module
 */
import { integer, OID } from "./_der.ts";
import { ECDSA_P256, x509 } from "./_x509.ts";

/** One revoked entry as the library takes it. */
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

/** DER of a v2 CRL with CRL number and (when known) AKI, ECDSA P-256 signed. */
export async function encodeCrl(o: CrlInput): Promise<Uint8Array> {
  const extensions = [
    new x509.Extension(
      OID.crlNumber,
      false,
      integer(o.crlNumber) as BufferSource,
    ),
  ];
  if (o.subjectKeyId) {
    extensions.push(new x509.AuthorityKeyIdentifierExtension(o.subjectKeyId));
  }
  const crl = await x509.X509CrlGenerator.create({
    issuer: new x509.Name(o.issuerDer as BufferSource),
    thisUpdate: o.thisUpdate,
    nextUpdate: o.nextUpdate,
    signingKey: o.signingKey,
    signingAlgorithm: ECDSA_P256,
    extensions,
    entries: o.entries.map((e) => ({
      serialNumber: e.serialHex,
      revocationDate: e.revokedAt,
      reason: e.reason,
    })),
  });
  return new Uint8Array(crl.rawData);
}
