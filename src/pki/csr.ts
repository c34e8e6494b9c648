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
import { OID } from "./_der.ts";
import {
  buildEku,
  buildSan,
  type ExtKeyUsageName,
  readBasicConstraints,
  readEku,
  readSan,
} from "./_extensions.ts";
import {
  buildName,
  isEmptyName,
  readName,
  type SubjectInput,
} from "./_name.ts";
import { ECDSA_P256, x509 } from "./_x509.ts";
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
  const extensions: x509.Extension[] = [];
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
    extensions.push(
      new x509.BasicConstraintsExtension(true, options.ca.pathLength, true),
    );
  }
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name,
    keys,
    signingAlgorithm: ECDSA_P256,
    extensions,
  });
  return new Uint8Array(csr.rawData);
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
  let req: x509.Pkcs10CertificateRequest;
  try {
    req = new x509.Pkcs10CertificateRequest(der as BufferSource);
  } catch (cause) {
    throw invalid("CSR: malformed PKCS#10 DER", cause);
  }
  const alg = req.publicKey.algorithm as EcKeyAlgorithm;
  if (alg.name !== "ECDSA" || alg.namedCurve !== "P-256") {
    const found = alg.name === "ECDSA"
      ? `ECDSA ${alg.namedCurve}`
      : alg.name.startsWith("RSA")
      ? "RSA"
      : alg.name;
    throw invalid(`CSR: expected an ECDSA P-256 public key, found ${found}`);
  }
  let ok = false;
  try {
    ok = await req.verify();
  } catch (cause) {
    throw invalid("CSR: signature could not be checked", cause);
  }
  if (!ok) throw invalid("CSR: signature does not verify with its public key");
  const spki = new Uint8Array(req.publicKey.rawData);
  let publicKey: CryptoKey;
  try {
    publicKey = await parsePublicKeyDer(spki);
  } catch (cause) {
    throw invalid("CSR: public key is not a valid P-256 point", cause);
  }
  try {
    const name = readName(req.subjectName);
    const san = readSan(req.getExtension(OID.subjectAltName));
    const bc = readBasicConstraints(req.getExtension(OID.basicConstraints));
    return {
      der: new Uint8Array(der),
      subject: name.text,
      subjectDer: name.der,
      commonName: name.commonName,
      organizations: name.organizations,
      ...san,
      extKeyUsages: readEku(req.getExtension(OID.extKeyUsage)),
      ca: bc?.ca ? { pathLength: bc.pathLength } : undefined,
      spki,
      publicKey,
    };
  } catch (cause) {
    if (cause instanceof EdgeError) throw invalid(cause.message, cause);
    throw invalid("CSR: malformed extension request", cause);
  }
}

/** Parse a PEM CSR (`CERTIFICATE REQUEST`); see {@link parseCsrDer}. */
export async function parseCsr(pem: string): Promise<CertificateRequest> {
  return await parseCsrDer(
    parsePemBlock(pem, [CSR_LABEL, "NEW CERTIFICATE REQUEST"]).der,
  );
}
