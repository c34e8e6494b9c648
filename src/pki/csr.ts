/**
 * PKCS#10 certificate signing requests: create (leaf or CA) and parse with
 * signature verification.
 *
 * @example
 * ```ts
 * const keys = await generateKeyPair();
 * const der = await createCsr({
 *   keys,
 *   subject: { O: "system:nodes", CN: "system:node:pi-1" },
 *   extKeyUsages: ["clientAuth"],
 * });
 * const csr = await parseCsrDer(der); // throws CSR_INVALID if tampered
 * ```
 * @module
 */
import { EdgeError } from "../errors.ts";
import {
  cachedOid,
  children,
  ctx,
  decodeOne,
  expectTag,
  integer,
  OID,
  readInteger,
  readOid,
  seq,
  TAG,
  tlv,
} from "./_der.ts";
import { ECDSA_HASH_BY_OID, verifyEcdsaDer } from "./_ecdsa.ts";
import {
  buildBasicConstraints,
  buildEku,
  buildSan,
  type DerExtension,
  encodeExtensions,
  type ExtKeyUsageName,
  readBasicConstraints,
  readEku,
  readExtensions,
  readSan,
} from "./_extensions.ts";
import {
  buildName,
  isEmptyName,
  readName,
  type SubjectInput,
} from "./_name.ts";
import { readSpki, rememberSpki, spkiOf } from "./_spki.ts";
import { signEnvelope } from "./_tbs.ts";
import { assertP256, parsePublicKeyDer } from "./keys.ts";
import { encodePem, parsePemBlock } from "./pem.ts";

export type { ExtKeyUsageName } from "./_extensions.ts";
export type { SubjectFields, SubjectInput } from "./_name.ts";

/** PEM label of CSRs. */
export const CSR_LABEL = "CERTIFICATE REQUEST";

/** Options of {@link createCsr}. */
export interface CreateCsrOptions {
  /** The P-256 key pair; the private key signs the request. */
  keys: CryptoKeyPair;
  /** Subject; empty when omitted (then a SAN is required). */
  subject?: SubjectInput;
  /** DNS SANs. @default [] */
  dnsNames?: readonly string[];
  /** IP SANs (v4 or v6). @default [] */
  ipAddresses?: readonly string[];
  /** URI SANs, e.g. a SPIFFE ID. @default [] */
  uris?: readonly string[];
  /** Requested EKUs. @default [] (no EKU extension) */
  extKeyUsages?: readonly ExtKeyUsageName[];
  /** Request a CA certificate (basicConstraints cA=true). */
  ca?: { pathLength?: number };
}

/** A parsed, signature-checked CSR. */
export interface CertificateRequest {
  /** DER of the whole request. */
  der: Uint8Array;
  /** Subject as text, e.g. `O=system:nodes, CN=system:node:pi-1`. */
  subject: string;
  /** DER of the subject Name. */
  subjectDer: Uint8Array;
  /** First CN, if any. */
  commonName?: string;
  /** All O values. */
  organizations: string[];
  /** Requested DNS SANs. */
  dnsNames: string[];
  /** Requested IP SANs. */
  ipAddresses: string[];
  /** Requested URI SANs. */
  uris: string[];
  /** Requested EKUs (`serverAuth`, `clientAuth`, or an OID). */
  extKeyUsages: string[];
  /** Present when a CA certificate is requested. */
  ca?: { pathLength?: number };
  /** SubjectPublicKeyInfo DER of the requester's key. */
  spki: Uint8Array;
  /** The requester's public key (P-256). */
  publicKey: CryptoKey;
}

/** Create a DER CSR signed with `keys.privateKey` (ECDSA with SHA-256). */
export async function createCsr(
  options: CreateCsrOptions,
): Promise<Uint8Array> {
  const { keys } = options;
  assertP256(keys.privateKey, "CSR key");
  assertP256(keys.publicKey, "CSR key");
  const name = buildName(options.subject);
  const extensions: DerExtension[] = [];
  const san = buildSan({
    dnsNames: [...(options.dnsNames ?? [])],
    ipAddresses: [...(options.ipAddresses ?? [])],
    uris: [...(options.uris ?? [])],
  }, isEmptyName(name));
  if (san) extensions.push(san);
  else if (isEmptyName(name)) {
    throw new TypeError("A CSR needs a subject or at least one SAN");
  }
  const eku = buildEku(options.extKeyUsages);
  if (eku) extensions.push(eku);
  if (options.ca) {
    extensions.push(buildBasicConstraints(true, options.ca.pathLength));
  }
  // CertificationRequestInfo (RFC 2986 §4.1) with an extensionRequest.
  const attributes = extensions.length
    ? [
      seq(
        cachedOid(OID.extensionRequest),
        tlv(TAG.SET, encodeExtensions(extensions)),
      ),
    ]
    : [];
  const cri = seq(
    integer(0),
    name,
    await spkiOf(keys.publicKey),
    tlv(ctx(0, true), ...attributes),
  );
  return await signEnvelope(cri, keys.privateKey);
}

/** PEM (`CERTIFICATE REQUEST`) of a DER CSR. */
export function encodeCsrPem(der: Uint8Array): string {
  return encodePem(CSR_LABEL, der);
}

function invalid(message: string, cause?: unknown): EdgeError {
  return new EdgeError("CSR_INVALID", message, { cause });
}

/**
 * Parse a DER CSR and check its signature and key type. Throws
 * `CSR_INVALID` when malformed, badly signed or not ECDSA P-256.
 */
export async function parseCsrDer(
  der: Uint8Array,
): Promise<CertificateRequest> {
  const req = decodeCsr(der);
  const key = readSpkiOrThrow(req.spki);
  if (key.algorithm !== OID.ecPublicKey || key.curve !== OID.prime256v1) {
    const found = key.algorithm === OID.ecPublicKey
      ? `ECDSA ${CURVE_NAMES[key.curve ?? ""] ?? key.curve}`
      : ALGORITHM_NAMES[key.algorithm] ?? key.algorithm;
    throw invalid(`CSR: expected an ECDSA P-256 public key, found ${found}`);
  }
  const hash = ECDSA_HASH_BY_OID[req.signatureAlgorithm];
  if (!hash) {
    throw invalid(
      `CSR: signature could not be checked (algorithm ${req.signatureAlgorithm})`,
    );
  }
  let publicKey: CryptoKey;
  try {
    publicKey = await parsePublicKeyDer(req.spki);
  } catch (cause) {
    throw invalid("CSR: public key is not a valid P-256 point", cause);
  }
  if (!(await verifyEcdsaDer(publicKey, hash, req.signature, req.info))) {
    throw invalid("CSR: signature does not verify with its public key");
  }
  rememberSpki(publicKey, req.spki);
  try {
    const name = readName(req.subjectDer);
    const exts = req.extensions ? readExtensions(req.extensions) : new Map();
    const bc = readBasicConstraints(exts.get(OID.basicConstraints)?.value);
    return {
      der: new Uint8Array(der),
      subject: name.text,
      subjectDer: name.der,
      commonName: name.commonName,
      organizations: name.organizations,
      ...readSan(exts.get(OID.subjectAltName)?.value),
      extKeyUsages: readEku(exts.get(OID.extKeyUsage)?.value),
      ca: bc?.ca ? { pathLength: bc.pathLength } : undefined,
      spki: req.spki,
      publicKey,
    };
  } catch (cause) {
    if (cause instanceof EdgeError) throw invalid(cause.message, cause);
    throw invalid("CSR: malformed extension request", cause);
  }
}

const CURVE_NAMES: Record<string, string> = {
  [OID.prime256v1]: "P-256",
  [OID.secp384r1]: "P-384",
  [OID.secp521r1]: "P-521",
};

const ALGORITHM_NAMES: Record<string, string> = {
  [OID.rsaEncryption]: "RSA",
  [OID.ed25519]: "Ed25519",
};

/** The pieces of a PKCS#10 request, still undecoded where possible. */
interface CsrParts {
  /** Whole CertificationRequestInfo TLV (the signed bytes). */
  info: Uint8Array;
  subjectDer: Uint8Array;
  spki: Uint8Array;
  /** The extensionRequest's `Extensions` DER, when present. */
  extensions?: Uint8Array;
  signatureAlgorithm: string;
  /** DER `Ecdsa-Sig-Value` (the BIT STRING content). */
  signature: Uint8Array;
}

function decodeCsr(der: Uint8Array): CsrParts {
  try {
    const top = children(
      expectTag(decodeOne(der), TAG.SEQUENCE, "CertificationRequest").value,
    );
    if (top.length !== 3) throw new Error("expected 3 fields");
    const [info, alg, sig] = top;
    const fields = children(
      expectTag(info, TAG.SEQUENCE, "CertificationRequestInfo").value,
    );
    if (fields.length !== 4) throw new Error("CRI: expected 4 fields");
    const [version, subject, spki, attrs] = fields;
    if (readInteger(expectTag(version, TAG.INTEGER, "version").value) !== 0n) {
      throw new Error("unsupported CSR version");
    }
    expectTag(subject, TAG.SEQUENCE, "subject");
    expectTag(spki, TAG.SEQUENCE, "subjectPKInfo");
    let extensions: Uint8Array | undefined;
    for (const attr of children(expectTag(attrs, 0xa0, "attributes").value)) {
      const [type, values] = children(
        expectTag(attr, TAG.SEQUENCE, "Attribute").value,
      );
      if (
        readOid(expectTag(type, TAG.OID, "type").value) === OID.extensionRequest
      ) {
        extensions = children(expectTag(values, TAG.SET, "values").value)[0]
          ?.raw;
      }
    }
    const algOid = children(
      expectTag(alg, TAG.SEQUENCE, "signatureAlgorithm").value,
    )[0];
    const bits = expectTag(sig, TAG.BIT_STRING, "signature").value;
    if (bits[0] !== 0) throw new Error("signature BIT STRING has unused bits");
    return {
      info: info.raw,
      subjectDer: subject.raw,
      spki: new Uint8Array(spki.raw),
      extensions,
      signatureAlgorithm: readOid(
        expectTag(algOid, TAG.OID, "algorithm").value,
      ),
      signature: bits.subarray(1),
    };
  } catch (cause) {
    throw invalid("CSR: malformed PKCS#10 DER", cause);
  }
}

function readSpkiOrThrow(spki: Uint8Array) {
  try {
    return readSpki(spki);
  } catch (cause) {
    throw invalid("CSR: malformed public key", cause);
  }
}

/** Parse a PEM CSR (`CERTIFICATE REQUEST`); see {@link parseCsrDer}. */
export async function parseCsr(pem: string): Promise<CertificateRequest> {
  return await parseCsrDer(
    parsePemBlock(pem, [CSR_LABEL, "NEW CERTIFICATE REQUEST"]).der,
  );
}
