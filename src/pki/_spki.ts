/**
 * SubjectPublicKeyInfo helpers for the issuance path: the SPKI DER of a
 * Web Crypto key (cached per key object, exporting is an async round trip),
 * the canonical P-256 SPKI of a point, checking a caller's SPKI, and the
 * RFC 5280 §4.2.1.2 method-1 key identifier (SHA-1 of the subjectPublicKey
 * bits, as OpenSSL computes it; synchronous, `src/digest.ts`).
 * Internal.
 * @module
 */
import { sha1 } from "../digest.ts";
import { children, decodeOne, expectTag, OID, readOid, TAG } from "./_der.ts";
import { loadedP256 } from "./_p256_engine.ts";

const spkiCache = new WeakMap<CryptoKey, Uint8Array>();

/**
 * SPKI DER of a public key; the same (shared, never to be mutated) bytes for
 * the same key object.
 */
export async function spkiOf(key: CryptoKey): Promise<Uint8Array> {
  let spki = spkiCache.get(key);
  if (!spki) {
    spki = new Uint8Array(await crypto.subtle.exportKey("spki", key));
    spkiCache.set(key, spki);
  }
  return spki;
}

/** Remember `spki` as the SPKI of `key` (e.g. the bytes it was imported from). */
export function rememberSpki(key: CryptoKey, spki: Uint8Array): void {
  if (isCanonicalP256Spki(spki)) spkiCache.set(key, spki.slice());
}

/** DER prefix of a P-256 SPKI with an uncompressed point, as Web Crypto exports it. */
const P256_SPKI_PREFIX = Uint8Array.of(
  0x30,
  0x59,
  0x30,
  0x13,
  0x06,
  0x07,
  0x2a,
  0x86,
  0x48,
  0xce,
  0x3d,
  0x02,
  0x01,
  0x06,
  0x08,
  0x2a,
  0x86,
  0x48,
  0xce,
  0x3d,
  0x03,
  0x01,
  0x07,
  0x03,
  0x42,
  0x00,
  0x04,
);

/** Canonical P-256 SPKI DER of an uncompressed point (`04 || x || y`). */
export function p256Spki(point: Uint8Array): Uint8Array {
  if (point.length !== 65 || point[0] !== 4) {
    throw new TypeError("Expected an uncompressed P-256 point (65 bytes)");
  }
  const out = new Uint8Array(P256_SPKI_PREFIX.length + 64);
  out.set(P256_SPKI_PREFIX);
  out.set(point.subarray(1), P256_SPKI_PREFIX.length);
  return out;
}

/**
 * A caller's P-256 SPKI checked (point on the curve) and in canonical form:
 * checked in place when already canonical (with libcrypto once it is
 * loaded), else through a Web Crypto import, which also re-encodes it (e.g.
 * a compressed point). Resolves `undefined` when it is not a P-256 key.
 */
export async function checkedP256Spki(
  spki: Uint8Array,
): Promise<Uint8Array | undefined> {
  const engine = loadedP256();
  if (engine && isCanonicalP256Spki(spki)) {
    return engine.isPoint(spki.subarray(P256_SPKI_PREFIX.length - 1))
      ? spki
      : undefined;
  }
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey(
      "spki",
      spki as BufferSource,
      { name: "ECDSA", namedCurve: "P-256" },
      true,
      ["verify"],
    );
  } catch {
    return undefined;
  }
  rememberSpki(key, spki);
  return await spkiOf(key);
}

/** True when `spki` is byte-for-byte what Web Crypto exports for a P-256 key. */
export function isCanonicalP256Spki(spki: Uint8Array): boolean {
  return spki.length === P256_SPKI_PREFIX.length + 64 &&
    P256_SPKI_PREFIX.every((b, i) => spki[i] === b);
}

/** The parts of an SPKI that callers look at. */
export interface SpkiParts {
  /** Algorithm OID, e.g. `1.2.840.10045.2.1` (ecPublicKey). */
  algorithm: string;
  /** Named curve OID for EC keys. */
  curve?: string;
  /** The subjectPublicKey bits (for EC: the point). */
  publicKey: Uint8Array;
}

/** Decode an SPKI; throws `DerError` when malformed. */
export function readSpki(spki: Uint8Array): SpkiParts {
  const [alg, bits] = children(
    expectTag(decodeOne(spki), TAG.SEQUENCE, "SubjectPublicKeyInfo").value,
  );
  const [algOid, params] = children(
    expectTag(alg, TAG.SEQUENCE, "AlgorithmIdentifier").value,
  );
  const bs = expectTag(bits, TAG.BIT_STRING, "subjectPublicKey").value;
  const algorithm = readOid(expectTag(algOid, TAG.OID, "algorithm").value);
  return {
    algorithm,
    curve: algorithm === OID.ecPublicKey && params?.tag === TAG.OID
      ? readOid(params.value)
      : undefined,
    publicKey: bs.subarray(1),
  };
}

const keyIdCache = new WeakMap<Uint8Array, Uint8Array>();

/** SHA-1 key identifier of an SPKI (20 bytes; cached per SPKI object). */
export function keyIdentifier(spki: Uint8Array): Uint8Array {
  let id = keyIdCache.get(spki);
  if (!id) {
    id = sha1(readSpki(spki).publicKey);
    keyIdCache.set(spki, id);
  }
  return id;
}
