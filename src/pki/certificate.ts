/**
 * X.509 certificates: the one issuance helper used by hub and runtime
 * ({@link issueCertificate}), a self-signed root helper, and parsing into a
 * typed {@link Certificate} view.
 *
 * @example
 * ```ts
 * const root = await createSelfSignedCa({ subject: { CN: "Hub Root" }, ttlMs: 86_400_000 });
 * const leafKeys = await generateKeyPair();
 * const svid = await issueCertificate({
 *   issuer: root,
 *   subjectPublicKey: leafKeys.publicKey,
 *   profile: "leaf",
 *   uris: ["spiffe://example.org/workload"],
 *   extKeyUsages: ["serverAuth", "clientAuth"],
 *   ttlMs: 3_600_000,
 * });
 * ```
 * @module
 */
import { type Clock, systemClock } from "../clock.ts";
import { EdgeError } from "../errors.ts";
import { type Random, secureRandom } from "../random.ts";
import { fromHex, toHex } from "../bytes.ts";
import { integerFromHex } from "./_der.ts";
import { certificateFromParts } from "./_certificate_fields.ts";
import {
  buildAuthorityKeyId,
  buildSubjectKeyId,
  type ExtKeyUsageName,
  type KeyUsageName,
} from "./_extensions.ts";
import {
  buildName,
  isEmptyName,
  type NameView,
  readName,
  type SubjectInput,
} from "./_name.ts";
import { profileExtensions } from "./_profiles.ts";
import { checkedP256Spki, keyIdentifier, spkiOf } from "./_spki.ts";
import { encodeTbsCertificate, serialHexOf, signEnvelope } from "./_tbs.ts";
import {
  assertKeyMatchesCertificate,
  assertP256,
  generateKeyPair,
} from "./keys.ts";
import type { Certificate } from "./certificate_view.ts";

export * from "./certificate_view.ts";
export type { KeyUsageName } from "./_extensions.ts";

/** How far NotBefore is set in the past (clock skew between peers). */
export const NOT_BEFORE_BACKDATE_MS = 10_000;

/** A CA able to sign: its certificate and key pair. */
export interface CertificateIssuer {
  cert: Certificate;
  keys: CryptoKeyPair;
}

/** Options of {@link issueCertificate}. */
export interface IssueCertificateOptions {
  /** Signing CA, or `"self"` for a self-signed certificate (needs `subjectKeys`). */
  issuer: CertificateIssuer | "self";
  /** Public key to certify (CryptoKey or SPKI DER); not needed with `subjectKeys`. */
  subjectPublicKey?: CryptoKey | Uint8Array;
  /** The subject's key pair; required when `issuer` is `"self"`. */
  subjectKeys?: CryptoKeyPair;
  /** `"leaf"`: end entity (cA=false); `"ca"`: signing certificate (cA=true). */
  profile: "leaf" | "ca";
  /** Subject; empty when omitted (the SAN extension is then critical). */
  subject?: SubjectInput;
  /** URI SANs (a leaf takes at most one). @default [] */
  uris?: readonly string[];
  /** DNS SANs. @default [] */
  dnsNames?: readonly string[];
  /** IP SANs. @default [] */
  ipAddresses?: readonly string[];
  /** EKUs; an SVID with any must have both. @default [] (no EKU extension) */
  extKeyUsages?: readonly ExtKeyUsageName[];
  /**
   * Key usages. Leaf: digitalSignature plus optionally keyEncipherment /
   * keyAgreement. @default leaf ["digitalSignature"], ca
   * ["digitalSignature","keyCertSign","cRLSign"]
   */
  keyUsages?: readonly KeyUsageName[];
  /** Lifetime from now; capped at the issuer's NotAfter. */
  ttlMs: number;
  /** CA only: basicConstraints pathLenConstraint. @default unlimited */
  pathLength?: number;
  /** CA only: permitted URI hosts (name constraint), e.g. the trust domain. */
  permittedUriDomains?: readonly string[];
  /**
   * CA only: permitted DNS subtrees. With any, DNS names outside them are
   * refused by verifiers; `["invalid"]` (RFC 6761) permits none in practice.
   */
  permittedDnsDomains?: readonly string[];
  /** CA only: permitted IP ranges (CIDR); `["0.0.0.0/32", "::/128"]` ≈ none. */
  permittedIpRanges?: readonly string[];
  /** @default systemClock */
  clock?: Clock;
  /** Source of the serial number. @default secureRandom */
  random?: Random;
}

/** A random positive 128-bit serial (top bit cleared, never zero), as hex. */
export function randomSerialHex(random: Random = secureRandom): string {
  for (;;) {
    const b = random.bytes(16);
    b[0] &= 0x7f;
    if (b.some((x) => x !== 0)) return toHex(b);
  }
}

/** Issuer key → certificate DER already checked to match it (per object). */
const checkedIssuerKeys = new WeakMap<CryptoKey, Uint8Array>();

function refuse(message: string): never {
  throw new EdgeError("CERT_INVALID", message);
}

/** The subject's SPKI DER (canonical Web Crypto form, point checked). */
async function subjectSpki(
  options: IssueCertificateOptions,
): Promise<Uint8Array> {
  if (options.subjectKeys) {
    assertP256(options.subjectKeys.publicKey, "subject key");
    return await spkiOf(options.subjectKeys.publicKey);
  }
  const k = options.subjectPublicKey;
  if (k === undefined) {
    throw new TypeError(
      "issueCertificate: subjectPublicKey or subjectKeys is required",
    );
  }
  if (k instanceof Uint8Array) {
    const spki = await checkedP256Spki(k);
    if (!spki) {
      throw new EdgeError(
        "KEY_INVALID",
        "Public key: expected an ECDSA P-256 SubjectPublicKeyInfo",
      );
    }
    return spki;
  }
  assertP256(k, "subject key");
  if (k.type !== "public") {
    throw new TypeError(
      "issueCertificate: subjectPublicKey must be a public key",
    );
  }
  return await spkiOf(k);
}

/**
 * Issue a certificate under `issuer` (or self-signed) with the leaf or CA
 * profile: NotBefore = now − 10 s, NotAfter = min(now + ttl, issuer
 * NotAfter), random 128-bit serial, SKI + AKI, critical basicConstraints
 * and keyUsage. Throws `CERT_INVALID` when a profile rule or the issuer
 * forbids it, `KEY_MISMATCH` when the issuer key is not the CA's.
 */
export async function issueCertificate(
  options: IssueCertificateOptions,
): Promise<Certificate> {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? secureRandom;
  if (!Number.isFinite(options.ttlMs) || options.ttlMs <= 0) {
    throw new TypeError(
      `ttlMs: expected a positive number, got ${options.ttlMs}`,
    );
  }
  const spki = await subjectSpki(options);
  const now = Math.floor(clock.now() / 1000) * 1000;
  const notBefore = new Date(now - NOT_BEFORE_BACKDATE_MS);
  let notAfterMs = now + options.ttlMs;
  const subjectName = buildName(options.subject);
  const subject = readName(subjectName);

  let signingKey: CryptoKey;
  let issuer: Pick<NameView, "text" | "der">;
  let authorityKeyId: Uint8Array;
  const ski = keyIdentifier(spki);
  if (options.issuer === "self") {
    if (!options.subjectKeys) {
      throw new TypeError(
        "issueCertificate: a self-signed certificate needs subjectKeys",
      );
    }
    signingKey = options.subjectKeys.privateKey;
    issuer = subject;
    authorityKeyId = ski;
  } else {
    const { cert, keys } = options.issuer;
    if (!cert.isCa || !cert.keyUsages.includes("keyCertSign")) {
      refuse(
        `Issuer "${cert.subject}" is not a CA allowed to sign certificates`,
      );
    }
    if (now >= cert.notAfter.getTime()) {
      refuse(
        `Issuer "${cert.subject}" expired at ${cert.notAfter.toISOString()}`,
      );
    }
    if (options.profile === "ca" && cert.pathLength === 0) {
      refuse(`Issuer "${cert.subject}" has pathLength 0 and cannot sign a CA`);
    }
    if (checkedIssuerKeys.get(keys.privateKey) !== cert.der) {
      await assertKeyMatchesCertificate(keys, cert, "issuer certificate");
      checkedIssuerKeys.set(keys.privateKey, cert.der);
    }
    signingKey = keys.privateKey;
    issuer = { text: cert.subject, der: cert.subjectDer };
    authorityKeyId = cert.subjectKeyId
      ? fromHex(cert.subjectKeyId)
      : keyIdentifier(cert.spki);
    notAfterMs = Math.min(notAfterMs, cert.notAfter.getTime());
  }
  assertP256(signingKey, "issuer key");

  const extensions = profileExtensions({
    profile: options.profile,
    subjectIsEmpty: isEmptyName(subjectName),
    uris: options.uris ?? [],
    dnsNames: options.dnsNames ?? [],
    ipAddresses: options.ipAddresses ?? [],
    extKeyUsages: options.extKeyUsages ?? [],
    keyUsages: options.keyUsages,
    pathLength: options.pathLength,
    permittedUriDomains: options.permittedUriDomains,
    permittedDnsDomains: options.permittedDnsDomains,
    permittedIpRanges: options.permittedIpRanges,
  });
  extensions.push(buildSubjectKeyId(ski), buildAuthorityKeyId(authorityKeyId));

  const serial = integerFromHex(randomSerialHex(random));
  // X.509 times have whole seconds; the view must match the encoding.
  const notAfter = new Date(Math.floor(notAfterMs / 1000) * 1000);
  const tbs = encodeTbsCertificate({
    serial,
    issuerDer: issuer.der,
    notBefore,
    notAfter,
    subjectDer: subject.der,
    spki,
    extensions,
  });
  const der = await signEnvelope(tbs, signingKey);
  return certificateFromParts({
    der,
    serialHex: serialHexOf(serial),
    subject,
    issuer,
    notBefore,
    notAfter,
    extensions,
    spki: spki.slice(), // the cached SPKI must not escape
  });
}

/** Options of {@link createSelfSignedCa}. */
export interface CreateSelfSignedCaOptions {
  /** Subject, e.g. `{ CN: "KubeEdge" }`. */
  subject: SubjectInput;
  /** Lifetime from now. */
  ttlMs: number;
  /** pathLenConstraint. @default unlimited */
  pathLength?: number;
  /** URI SANs (e.g. the trust domain ID `spiffe://example.org`). */
  uris?: readonly string[];
  /** Permitted URI hosts (name constraint). */
  permittedUriDomains?: readonly string[];
  /** Use this key pair instead of generating one. */
  keys?: CryptoKeyPair;
  /** @default systemClock */
  clock?: Clock;
  /** @default secureRandom */
  random?: Random;
}

/** Create a self-signed root CA (ECDSA P-256) and its key pair. */
export async function createSelfSignedCa(
  options: CreateSelfSignedCaOptions,
): Promise<CertificateIssuer> {
  const keys = options.keys ?? await generateKeyPair();
  const cert = await issueCertificate({
    issuer: "self",
    subjectKeys: keys,
    profile: "ca",
    subject: options.subject,
    uris: options.uris,
    ttlMs: options.ttlMs,
    pathLength: options.pathLength,
    permittedUriDomains: options.permittedUriDomains,
    clock: options.clock,
    random: options.random,
  });
  return { cert, keys };
}
