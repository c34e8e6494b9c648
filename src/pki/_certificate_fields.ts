/**
 * The one place a {@link Certificate} view is assembled from decoded parts,
 * shared by `parseCertificateDer` (parts from the library parser) and
 * `issueCertificate` (parts it just encoded), so both give field-exact
 * views. Internal: not exported from `mod.ts`.
 * @module
 */
import { OID } from "./_der.ts";
import {
  readAuthorityKeyId,
  readBasicConstraints,
  readEku,
  readKeyUsage,
  readNameConstraints,
  readSan,
  readSubjectKeyId,
} from "./_extensions.ts";
import type { NameView } from "./_name.ts";
import type { Certificate } from "./certificate_view.ts";

/** One extension as found in (or written to) a certificate. */
export interface ExtensionPart {
  oid: string;
  critical: boolean;
  /** `extnValue` content octets. */
  value: Uint8Array;
}

/** What a certificate view is made of. */
export interface CertificateParts {
  der: Uint8Array;
  /** Serial as hex of its magnitude (lowercase, no sign byte). */
  serialHex: string;
  subject: NameView;
  /** Only the text and DER of the issuer name are shown. */
  issuer: Pick<NameView, "text" | "der">;
  notBefore: Date;
  notAfter: Date;
  extensions: readonly ExtensionPart[];
  spki: Uint8Array;
}

/** Build the view; throws `DerError` for a malformed extension value. */
export function certificateFromParts(p: CertificateParts): Certificate {
  const ext = (oid: string) => p.extensions.find((e) => e.oid === oid)?.value;
  const bc = readBasicConstraints(ext(OID.basicConstraints));
  return {
    der: p.der,
    serialHex: p.serialHex,
    subject: p.subject.text,
    subjectDer: p.subject.der,
    commonName: p.subject.commonName,
    organizations: p.subject.organizations,
    issuer: p.issuer.text,
    issuerDer: p.issuer.der,
    notBefore: p.notBefore,
    notAfter: p.notAfter,
    ...readSan(ext(OID.subjectAltName)),
    isCa: bc?.ca ?? false,
    pathLength: bc?.ca ? bc.pathLength : undefined,
    keyUsages: readKeyUsage(ext(OID.keyUsage)),
    extKeyUsages: readEku(ext(OID.extKeyUsage)),
    nameConstraints: readNameConstraints(ext(OID.nameConstraints)),
    subjectKeyId: readSubjectKeyId(ext(OID.subjectKeyId)),
    authorityKeyId: readAuthorityKeyId(ext(OID.authorityKeyId)),
    criticalExtensions: p.extensions.filter((e) => e.critical).map((e) =>
      e.oid
    ),
    spki: p.spki,
  };
}
