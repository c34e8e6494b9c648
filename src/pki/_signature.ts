/**
 * Signature checks of signed X.509 structures (certificates, CRLs) with Web
 * Crypto, without the X.509 library: ECDSA (P-256/P-384/P-521 with
 * SHA-256/384/512), RSA PKCS#1 v1.5 (SHA-1/256/384/512) and Ed25519.
 * Anything else answers `undefined` so the caller can fall back to the
 * library (loaded lazily). Internal.
 * @module
 */
import { DerError, OID } from "./_der.ts";
import { ECDSA_HASH_BY_OID, ecdsaDerToRaw } from "./_ecdsa.ts";
import { readSpki } from "./_spki.ts";

const RSA_HASH_BY_OID: Readonly<Record<string, string>> = {
  "1.2.840.113549.1.1.5": "SHA-1",
  "1.2.840.113549.1.1.11": "SHA-256",
  "1.2.840.113549.1.1.12": "SHA-384",
  "1.2.840.113549.1.1.13": "SHA-512",
};

/** Web Crypto curve name and coordinate size of each named-curve OID. */
const CURVES: Readonly<Record<string, [string, number]>> = {
  [OID.prime256v1]: ["P-256", 32],
  [OID.secp384r1]: ["P-384", 48],
  [OID.secp521r1]: ["P-521", 66],
};
const CURVE_SIZE: Readonly<Record<string, number>> = {
  "P-256": 32,
  "P-384": 48,
  "P-521": 66,
};

/** What was signed and how. */
export interface SignedData {
  /** signatureAlgorithm OID. */
  algorithm: string;
  /** Signature bits as carried (DER `Ecdsa-Sig-Value` for ECDSA). */
  signature: Uint8Array;
  /** The signed bytes. */
  data: Uint8Array;
}

type Plan = { key: CryptoKey; params: Algorithm & { hash?: unknown } };

async function importSpki(
  spki: Uint8Array,
  alg: RsaHashedImportParams | EcKeyImportParams | Algorithm,
): Promise<CryptoKey | undefined> {
  try {
    return await crypto.subtle.importKey(
      "spki",
      spki as BufferSource,
      alg,
      false,
      ["verify"],
    );
  } catch {
    return undefined;
  }
}

/** Key and algorithm for `s`; null = mismatch/invalid; undefined = unsupported. */
async function plan(
  issuer: Uint8Array | CryptoKey,
  s: SignedData,
): Promise<Plan | null | undefined> {
  const ecdsaHash = ECDSA_HASH_BY_OID[s.algorithm];
  const rsaHash = RSA_HASH_BY_OID[s.algorithm];
  const ed = s.algorithm === OID.ed25519;
  if (!ecdsaHash && !rsaHash && !ed) return undefined;
  if (issuer instanceof CryptoKey) {
    const a = issuer.algorithm as Algorithm & {
      namedCurve?: string;
      hash?: { name: string };
    };
    if (ecdsaHash && a.name === "ECDSA") {
      return { key: issuer, params: { name: "ECDSA", hash: ecdsaHash } };
    }
    if (ed && a.name === "Ed25519") return { key: issuer, params: a };
    if (rsaHash && a.name === "RSASSA-PKCS1-v1_5" && a.hash?.name === rsaHash) {
      return { key: issuer, params: a };
    }
    return undefined;
  }
  let parts;
  try {
    parts = readSpki(issuer);
  } catch {
    return null;
  }
  let key: CryptoKey | undefined;
  if (ecdsaHash) {
    const curve = CURVES[parts.curve ?? ""];
    if (parts.algorithm !== OID.ecPublicKey) return null;
    if (!curve) return undefined;
    key = await importSpki(issuer, { name: "ECDSA", namedCurve: curve[0] });
    return key && { key, params: { name: "ECDSA", hash: ecdsaHash } };
  }
  if (ed) {
    if (parts.algorithm !== OID.ed25519) return null;
    key = await importSpki(issuer, { name: "Ed25519" });
    return key && { key, params: { name: "Ed25519" } };
  }
  if (parts.algorithm !== OID.rsaEncryption) return null;
  const params = { name: "RSASSA-PKCS1-v1_5", hash: rsaHash };
  key = await importSpki(issuer, params);
  return key && { key, params };
}

/**
 * Verify `s` with the issuer's SPKI DER or public CryptoKey. Resolves true
 * or false, or `undefined` when the algorithm (or key type) is not one
 * handled here.
 */
export async function verifySignedData(
  issuer: Uint8Array | CryptoKey,
  s: SignedData,
): Promise<boolean | undefined> {
  const p = await plan(issuer, s);
  if (p === undefined) return undefined;
  if (p === null) return false;
  let signature = s.signature;
  if (p.params.name === "ECDSA") {
    const curve = (p.key.algorithm as EcKeyAlgorithm).namedCurve;
    try {
      signature = ecdsaDerToRaw(signature, CURVE_SIZE[curve] ?? 32);
    } catch (err) {
      if (err instanceof DerError) return false;
      throw err;
    }
  }
  try {
    return await crypto.subtle.verify(
      p.params,
      p.key,
      signature as BufferSource,
      s.data as BufferSource,
    );
  } catch {
    return false;
  }
}
