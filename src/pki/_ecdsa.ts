/**
 * ECDSA signatures as X.509 carries them: Web Crypto and JWS use the raw
 * `r || s` form (IEEE P1363); certificates, CSRs and CRLs hold the DER
 * `Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` (RFC 3279 §2.2.3).
 * Internal: not exported from `mod.ts`.
 * @module
 */
import {
  children,
  decodeOne,
  DerError,
  expectTag,
  OID,
  seq,
  TAG,
  tlv,
} from "./_der.ts";

/** Web Crypto hash of each ECDSA signature algorithm OID we accept. */
export const ECDSA_HASH_BY_OID: Readonly<Record<string, string>> = {
  [OID.ecdsaWithSha256]: "SHA-256",
  [OID.ecdsaWithSha384]: "SHA-384",
  [OID.ecdsaWithSha512]: "SHA-512",
};

function derUnsigned(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const v = bytes.subarray(i);
  return v[0] & 0x80
    ? tlv(TAG.INTEGER, Uint8Array.of(0), v)
    : tlv(TAG.INTEGER, v);
}

/** DER `Ecdsa-Sig-Value` of a raw `r || s` signature (even length). */
export function ecdsaRawToDer(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2) {
    throw new DerError(`raw ECDSA signature has odd length ${raw.length}`);
  }
  const half = raw.length / 2;
  return seq(
    derUnsigned(raw.subarray(0, half)),
    derUnsigned(raw.subarray(half)),
  );
}

function fixedWidth(value: Uint8Array, size: number): Uint8Array {
  if (value.length === 0) throw new DerError("empty INTEGER in signature");
  if (value[0] & 0x80) throw new DerError("negative INTEGER in signature");
  if (value.length > 1 && value[0] === 0 && !(value[1] & 0x80)) {
    throw new DerError("non-minimal INTEGER in signature");
  }
  const v = value[0] === 0 ? value.subarray(1) : value;
  if (v.length > size) throw new DerError("signature INTEGER too large");
  const out = new Uint8Array(size);
  out.set(v, size - v.length);
  return out;
}

/**
 * Raw `r || s` (each `size` bytes, 32 for P-256) of a DER `Ecdsa-Sig-Value`.
 * Throws `DerError` when malformed or when r/s do not fit `size` bytes.
 */
export function ecdsaDerToRaw(der: Uint8Array, size = 32): Uint8Array {
  const parts = children(
    expectTag(decodeOne(der), TAG.SEQUENCE, "Ecdsa-Sig-Value").value,
  );
  if (parts.length !== 2) throw new DerError("Ecdsa-Sig-Value needs r and s");
  const out = new Uint8Array(2 * size);
  out.set(fixedWidth(expectTag(parts[0], TAG.INTEGER, "r").value, size), 0);
  out.set(fixedWidth(expectTag(parts[1], TAG.INTEGER, "s").value, size), size);
  return out;
}

/**
 * True when the DER ECDSA signature over `data` verifies with the P-256
 * public `key` and `hash`; false when it does not or is malformed.
 */
export async function verifyEcdsaDer(
  key: CryptoKey,
  hash: string,
  signatureDer: Uint8Array,
  data: Uint8Array,
): Promise<boolean> {
  let raw: Uint8Array;
  try {
    raw = ecdsaDerToRaw(signatureDer, 32);
  } catch {
    return false;
  }
  return await crypto.subtle.verify(
    { name: "ECDSA", hash },
    key,
    raw as BufferSource,
    data as BufferSource,
  );
}
