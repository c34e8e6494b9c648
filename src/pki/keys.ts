/**
 * ECDSA P-256 key pairs (Web Crypto `CryptoKey`s, signing on the fast path
 * of `p256_key.ts`) and their PEM forms: PKCS#8 (`PRIVATE KEY`), SEC1
 * (`EC PRIVATE KEY`, RFC 5915 — what KubeEdge writes) and SPKI
 * (`PUBLIC KEY`), encoded by our DER encoder.
 *
 * @example
 * ```ts
 * const keys = await generateKeyPair();
 * const pem = await encodePrivateKeySec1Pem(keys.privateKey);
 * const again = await parsePrivateKey(pem);
 * ```
 * @module
 */
import { EdgeError } from "../errors.ts";
import { bytesEqual, sha256Hex } from "../bytes.ts";
import { rememberSpki, spkiOf } from "./_spki.ts";
import { P256PrivateKey } from "./p256_key.ts";
import { encodePem, parsePemBlock } from "./pem.ts";

/** Web Crypto parameters of the one key type edge-runtime uses. */
const EC_P256 = { name: "ECDSA", namedCurve: "P-256" } as const;

/** PEM label of PKCS#8 private keys. */
export const PKCS8_LABEL = "PRIVATE KEY";
/** PEM label of SEC1 EC private keys. */
export const SEC1_LABEL = "EC PRIVATE KEY";
/** PEM label of SubjectPublicKeyInfo public keys. */
export const PUBLIC_KEY_LABEL = "PUBLIC KEY";

/** Options when loading a private key. */
export interface ParsePrivateKeyOptions {
  /** Whether the returned private key can be exported again. @default true */
  extractable?: boolean;
}

/**
 * Generate an ECDSA P-256 key pair.
 * @param extractable whether the private key can be exported (needed to
 *   persist it or hand it to a workload) @default true
 */
export async function generateKeyPair(
  extractable = true,
): Promise<CryptoKeyPair> {
  const key = await P256PrivateKey.generate();
  try {
    return await key.toCryptoKeyPair(extractable);
  } finally {
    key.destroy();
  }
}

/** Throw `KEY_INVALID` unless `key` is an ECDSA P-256 key. */
export function assertP256(key: CryptoKey, what = "key"): void {
  const alg = key.algorithm as EcKeyAlgorithm;
  if (alg.name !== "ECDSA" || alg.namedCurve !== "P-256") {
    throw new EdgeError(
      "KEY_INVALID",
      `${what}: expected an ECDSA P-256 key, found ${alg.name}${
        alg.namedCurve ? " " + alg.namedCurve : ""
      }`,
    );
  }
}

/**
 * Encode with `fn`: a {@link P256PrivateKey} as is, an extractable P-256
 * private `CryptoKey` through a temporary copy of its scalar (zeroed after).
 */
async function withScalar<T>(
  key: CryptoKey | P256PrivateKey,
  fn: (k: P256PrivateKey) => T,
): Promise<T> {
  if (key instanceof P256PrivateKey) return fn(key);
  assertP256(key);
  const k = await P256PrivateKey.fromCryptoKey(key);
  try {
    return fn(k);
  } finally {
    k.destroy();
  }
}

/** PKCS#8 DER of a P256PrivateKey or an extractable P-256 private key. */
export async function encodePrivateKeyPkcs8Der(
  key: CryptoKey | P256PrivateKey,
): Promise<Uint8Array> {
  return await withScalar(key, (k) => k.encodePkcs8Der());
}

/** PKCS#8 PEM (`PRIVATE KEY`) of a P256PrivateKey or an extractable P-256 private key. */
export async function encodePrivateKeyPkcs8Pem(
  key: CryptoKey | P256PrivateKey,
): Promise<string> {
  return encodePem(PKCS8_LABEL, await encodePrivateKeyPkcs8Der(key));
}

/**
 * SEC1 `ECPrivateKey` DER (RFC 5915) with the P-256 OID and the public key,
 * as `openssl ec` writes it.
 */
export async function encodePrivateKeySec1Der(
  key: CryptoKey | P256PrivateKey,
): Promise<Uint8Array> {
  return await withScalar(key, (k) => k.encodeSec1Der());
}

/** SEC1 PEM (`EC PRIVATE KEY`) of a P256PrivateKey or an extractable P-256 private key. */
export async function encodePrivateKeySec1Pem(
  key: CryptoKey | P256PrivateKey,
): Promise<string> {
  return encodePem(SEC1_LABEL, await encodePrivateKeySec1Der(key));
}

/**
 * Load a P-256 private key from DER, PKCS#8 or SEC1 (told apart by the
 * version field), and derive its public key. Throws `KEY_INVALID`.
 */
export async function parsePrivateKeyDer(
  der: Uint8Array,
  options: ParsePrivateKeyOptions = {},
): Promise<CryptoKeyPair> {
  const key = await P256PrivateKey.fromDer(der);
  try {
    return await key.toCryptoKeyPair(options.extractable ?? true);
  } finally {
    key.destroy();
  }
}

/**
 * Load a P-256 private key from PEM: `PRIVATE KEY` (PKCS#8) or
 * `EC PRIVATE KEY` (SEC1; a leading `EC PARAMETERS` block is skipped).
 */
export async function parsePrivateKey(
  pem: string,
  options: ParsePrivateKeyOptions = {},
): Promise<CryptoKeyPair> {
  const block = parsePemBlock(pem, [PKCS8_LABEL, SEC1_LABEL]);
  const pair = await parsePrivateKeyDer(block.der, options);
  return pair;
}

/**
 * Public key of an extractable P-256 private key (or the public half of a
 * pair). Throws `KEY_INVALID` for a non-extractable lone private key.
 */
export async function derivePublicKey(
  key: CryptoKey | CryptoKeyPair,
): Promise<CryptoKey> {
  if ("publicKey" in key) return key.publicKey;
  assertP256(key);
  if (key.type === "public") return key;
  const spki = await encodePublicKeySpkiDer(key);
  const pub = await parsePublicKeyDer(spki);
  rememberSpki(pub, spki);
  return pub;
}

/** SubjectPublicKeyInfo DER of a key (pair, public key or extractable private key). */
export async function encodePublicKeySpkiDer(
  key: CryptoKey | CryptoKeyPair,
): Promise<Uint8Array> {
  if ("publicKey" in key) return (await spkiOf(key.publicKey)).slice();
  assertP256(key);
  if (key.type === "public") return (await spkiOf(key)).slice();
  return await withScalar(key, (k) => k.encodeSpkiDer());
}

/** `PUBLIC KEY` PEM of a key. */
export async function encodePublicKeyPem(
  key: CryptoKey | CryptoKeyPair,
): Promise<string> {
  return encodePem(PUBLIC_KEY_LABEL, await encodePublicKeySpkiDer(key));
}

/** Import a P-256 public key from SubjectPublicKeyInfo DER (`KEY_INVALID`). */
export async function parsePublicKeyDer(spki: Uint8Array): Promise<CryptoKey> {
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey(
      "spki",
      spki as BufferSource,
      EC_P256,
      true,
      ["verify"],
    );
  } catch (cause) {
    throw new EdgeError(
      "KEY_INVALID",
      "Public key: expected an ECDSA P-256 SubjectPublicKeyInfo",
      { cause },
    );
  }
  return key;
}

/** Import a `PUBLIC KEY` PEM. */
export async function parsePublicKey(pem: string): Promise<CryptoKey> {
  return await parsePublicKeyDer(parsePemBlock(pem, PUBLIC_KEY_LABEL).der);
}

/** Lowercase hex SHA-256 of the key's SubjectPublicKeyInfo DER. */
export async function publicKeyFingerprint(
  key: CryptoKey | CryptoKeyPair | Uint8Array,
): Promise<string> {
  const spki = key instanceof Uint8Array
    ? key
    : await encodePublicKeySpkiDer(key);
  return await sha256Hex(spki);
}

/** Anything carrying a SubjectPublicKeyInfo (e.g. a parsed certificate). */
export interface HasSpki {
  /** SubjectPublicKeyInfo DER. */
  spki: Uint8Array;
}

/** True when `key` is the key of `cert` (SPKI bytes compared). */
export async function keyMatchesCertificate(
  key: CryptoKey | CryptoKeyPair,
  cert: HasSpki,
): Promise<boolean> {
  return bytesEqual(await encodePublicKeySpkiDer(key), cert.spki);
}

/** Throw `KEY_MISMATCH` unless `key` belongs to `cert`. */
export async function assertKeyMatchesCertificate(
  key: CryptoKey | CryptoKeyPair,
  cert: HasSpki,
  what = "certificate",
): Promise<void> {
  if (!(await keyMatchesCertificate(key, cert))) {
    throw new EdgeError(
      "KEY_MISMATCH",
      `Private key does not match the public key of the ${what}`,
    );
  }
}
