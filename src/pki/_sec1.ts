/**
 * SEC1 `ECPrivateKey` (RFC 5915) — what KubeEdge and `openssl ec` write —
 * and its PKCS#8 envelope (RFC 5208), encoded and read with `_der.ts`. Only
 * P-256 is accepted; other curves and algorithms are named in the error.
 * Internal to `keys.ts`.
 * @module
 */
import { EdgeError } from "../errors.ts";
import {
  bitString,
  children,
  ctx,
  decodeOne,
  expectTag,
  integer,
  octetString,
  OID,
  oid,
  readInteger,
  readOid,
  seq,
  TAG,
  tlv,
} from "./_der.ts";

/** Facts read from a SEC1 structure before handing it to Web Crypto. */
export interface Sec1Parts {
  /** The private scalar, left-padded to 32 bytes. */
  d: Uint8Array;
  curveOid?: string;
  /** The embedded uncompressed public point, when present. */
  publicPoint?: Uint8Array;
}

/**
 * SEC1 `ECPrivateKey` DER with the P-256 OID and the public key, as
 * `openssl ec` writes it. `point` is the uncompressed public point.
 */
export function encodeSec1Der(d: Uint8Array, point: Uint8Array): Uint8Array {
  return seq(
    integer(1),
    octetString(d),
    tlv(ctx(0, true), oid(OID.prime256v1)),
    tlv(ctx(1, true), bitString(point)),
  );
}

function curveName(curveOid: string): string {
  switch (curveOid) {
    case OID.secp384r1:
      return "P-384";
    case OID.secp521r1:
      return "P-521";
    default:
      return `curve ${curveOid}`;
  }
}

function notP256(found: string): EdgeError {
  return new EdgeError(
    "KEY_INVALID",
    `Private key: expected ECDSA P-256, found ${found}`,
  );
}

function readSec1(der: Uint8Array): Sec1Parts {
  const top = children(
    expectTag(decodeOne(der), TAG.SEQUENCE, "ECPrivateKey").value,
  );
  const version = readInteger(expectTag(top[0], TAG.INTEGER, "version").value);
  if (version !== 1n) {
    throw new EdgeError(
      "KEY_INVALID",
      `EC private key: expected version 1, found ${version}`,
    );
  }
  const raw = expectTag(top[1], TAG.OCTET_STRING, "privateKey").value;
  const parts: Sec1Parts = { d: raw };
  for (const el of top.slice(2)) {
    if (el.tag === ctx(0, true)) {
      const params = decodeOne(el.value);
      if (params.tag !== TAG.OID) throw notP256("explicit curve parameters");
      parts.curveOid = readOid(params.value);
    } else if (el.tag === ctx(1, true)) {
      const bits = expectTag(decodeOne(el.value), TAG.BIT_STRING, "publicKey");
      parts.publicPoint = bits.value.subarray(1);
    }
  }
  if (parts.curveOid !== undefined && parts.curveOid !== OID.prime256v1) {
    throw notP256(curveName(parts.curveOid));
  }
  if (raw.length === 0 || raw.length > 32) {
    throw notP256(`a ${raw.length}-byte private scalar`);
  }
  parts.d = new Uint8Array(32); // some writers drop leading zero bytes
  parts.d.set(raw, 32 - raw.length);
  return parts;
}

/** Check the PKCS#8 algorithm is EC P-256; returns the inner SEC1 DER. */
function readPkcs8(der: Uint8Array): Uint8Array {
  const top = children(
    expectTag(decodeOne(der), TAG.SEQUENCE, "PrivateKeyInfo").value,
  );
  expectTag(top[0], TAG.INTEGER, "version");
  const alg = children(
    expectTag(top[1], TAG.SEQUENCE, "AlgorithmIdentifier").value,
  );
  const algOid = readOid(expectTag(alg[0], TAG.OID, "algorithm").value);
  if (algOid !== OID.ecPublicKey) {
    const names: Record<string, string> = {
      [OID.rsaEncryption]: "RSA",
      [OID.ed25519]: "Ed25519",
    };
    throw notP256(names[algOid] ?? `algorithm ${algOid}`);
  }
  if (alg[1]?.tag !== TAG.OID) throw notP256("explicit curve parameters");
  const curve = readOid(alg[1].value);
  if (curve !== OID.prime256v1) throw notP256(curveName(curve));
  return expectTag(top[2], TAG.OCTET_STRING, "privateKey").value;
}

/**
 * Read a P-256 private key from PKCS#8 or SEC1 DER (told apart by the
 * version field). Throws `KEY_INVALID` (`EdgeError`) for other key types and
 * `DerError` for malformed DER.
 */
export function readPrivateKeyDer(der: Uint8Array): Sec1Parts {
  const top = children(decodeOne(der).value);
  const version = readInteger(expectTag(top[0], TAG.INTEGER, "version").value);
  if (version !== 1n) return readSec1(readPkcs8(der));
  const parts = readSec1(der);
  if (parts.curveOid === undefined) {
    throw notP256("a SEC1 key without curve parameters");
  }
  return parts;
}

/**
 * A minimal P-256 PKCS#8 PrivateKeyInfo holding only the scalar `d`; Web
 * Crypto derives the public key, which callers then compare with any
 * embedded one.
 */
export function scalarToPkcs8(d: Uint8Array): Uint8Array {
  return seq(
    integer(0),
    seq(oid(OID.ecPublicKey), oid(OID.prime256v1)),
    octetString(seq(integer(1), octetString(d))),
  );
}
