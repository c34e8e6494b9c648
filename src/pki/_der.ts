/**
 * The one DER reader/writer of `src/pki`, for what `@peculiar/x509` does
 * not do for us: SEC1 `ECPrivateKey` (RFC 5915), PKCS#8 wrapping, the
 * NameConstraints / CRL number extension values, and the GeneralNames the
 * chain verifier reads itself. Strict: single-byte tags, minimal lengths.
 * Internal: not exported from `mod.ts`.
 * @module
 */

/** Universal and context tags used here. */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** One decoded TLV. `value` is the content octets; `raw` the whole TLV. */
export interface Tlv {
  tag: number;
  value: Uint8Array;
  raw: Uint8Array;
}

/** Thrown for malformed DER; callers wrap it into an `EdgeError`. */
export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DerError";
  }
}

/** Read one TLV at `offset`; returns it and the offset after it. */
export function readTlv(buf: Uint8Array, offset = 0): [Tlv, number] {
  if (offset + 2 > buf.length) throw new DerError("truncated DER header");
  const tag = buf[offset];
  if ((tag & 0x1f) === 0x1f) throw new DerError("multi-byte tags unsupported");
  let len = buf[offset + 1];
  let pos = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new DerError("unsupported DER length form");
    if (pos + n > buf.length) throw new DerError("truncated DER length");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[pos + i];
    if (len < 0x80 || (n > 1 && buf[pos] === 0)) {
      throw new DerError("non-minimal DER length");
    }
    pos += n;
  }
  const end = pos + len;
  if (end > buf.length) throw new DerError("DER value runs past the end");
  return [{
    tag,
    value: buf.subarray(pos, end),
    raw: buf.subarray(offset, end),
  }, end];
}

/** Decode exactly one TLV spanning all of `buf`. */
export function decodeOne(buf: Uint8Array): Tlv {
  const [tlv, end] = readTlv(buf, 0);
  if (end !== buf.length) throw new DerError("trailing bytes after DER value");
  return tlv;
}

/** Children of a constructed TLV (or of any concatenation of TLVs). */
export function children(value: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  let off = 0;
  while (off < value.length) {
    const [tlv, next] = readTlv(value, off);
    out.push(tlv);
    off = next;
  }
  return out;
}

/** Decode a TLV and require `tag`. */
export function expectTag(
  tlv: Tlv | undefined,
  tag: number,
  what: string,
): Tlv {
  if (!tlv || tlv.tag !== tag) {
    throw new DerError(
      `expected ${what} (tag 0x${tag.toString(16)}), found ${
        tlv ? "tag 0x" + tlv.tag.toString(16) : "nothing"
      }`,
    );
  }
  return tlv;
}

/** Bytes of the DER length octets of `n`. */
function lengthSize(n: number): number {
  if (n < 0x80) return 1;
  let size = 1;
  for (let v = n; v > 0; v = Math.floor(v / 256)) size++;
  return size;
}

/** Encode a TLV from a tag and content parts (one allocation). */
export function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const c of content) len += c.length;
  const header = 1 + lengthSize(len);
  const out = new Uint8Array(header + len);
  out[0] = tag;
  if (len < 0x80) out[1] = len;
  else {
    out[1] = 0x80 | (header - 2);
    for (let i = header - 1, v = len; i >= 2; i--, v = Math.floor(v / 256)) {
      out[i] = v & 0xff;
    }
  }
  let off = header;
  for (const c of content) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** SEQUENCE of the given encoded elements. */
export const seq = (...els: Uint8Array[]): Uint8Array =>
  tlv(TAG.SEQUENCE, ...els);

/** Non-negative INTEGER from a number or bigint (minimal encoding). */
export function integer(n: number | bigint): Uint8Array {
  let v = BigInt(n);
  if (v < 0n) throw new RangeError("negative INTEGER unsupported");
  const bytes: number[] = [];
  do {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  } while (v > 0n);
  if (bytes[0] & 0x80) bytes.unshift(0);
  return tlv(TAG.INTEGER, Uint8Array.from(bytes));
}

/** Read a non-negative INTEGER's content as a bigint. */
export function readInteger(tlvValue: Uint8Array): bigint {
  if (tlvValue.length === 0) throw new DerError("empty INTEGER");
  if (tlvValue[0] & 0x80) throw new DerError("negative INTEGER unsupported");
  let v = 0n;
  for (const b of tlvValue) v = (v << 8n) | BigInt(b);
  return v;
}

/** Content octets of a non-negative INTEGER given as hex (minimal, sign byte added). */
export function integerFromHex(hex: string): Uint8Array {
  if (!/^[0-9a-f]*$/i.test(hex)) throw new TypeError(`Bad hex "${hex}"`);
  const padded = hex.length % 2 ? "0" + hex : hex;
  let i = 0;
  while (i + 2 < padded.length && padded.slice(i, i + 2) === "00") i += 2;
  const bytes = new Uint8Array((padded.length - i) / 2);
  for (let j = 0; j < bytes.length; j++) {
    bytes[j] = parseInt(padded.slice(i + 2 * j, i + 2 * j + 2), 16);
  }
  if (bytes.length === 0) return tlv(TAG.INTEGER, Uint8Array.of(0));
  return bytes[0] & 0x80
    ? tlv(TAG.INTEGER, Uint8Array.of(0), bytes)
    : tlv(TAG.INTEGER, bytes);
}

/** BOOLEAN (DER: TRUE is 0xff). */
export const boolean = (v: boolean): Uint8Array =>
  Uint8Array.of(TAG.BOOLEAN, 1, v ? 0xff : 0);

/** OCTET STRING. */
export const octetString = (bytes: Uint8Array): Uint8Array =>
  tlv(TAG.OCTET_STRING, bytes);

/** BIT STRING with zero unused bits. */
export const bitString = (bytes: Uint8Array): Uint8Array =>
  tlv(TAG.BIT_STRING, Uint8Array.of(0), bytes);

/** IA5String (ASCII only). */
export function ia5String(
  text: string,
  tag: number = TAG.IA5_STRING,
): Uint8Array {
  // deno-lint-ignore no-control-regex
  if (!/^[\x00-\x7f]*$/.test(text)) {
    throw new TypeError(`Expected ASCII text, got "${text}"`);
  }
  return tlv(tag, new TextEncoder().encode(text));
}

const pad2 = (n: number) => String(n).padStart(2, "0");

/**
 * RFC 5280 §4.1.2.5 Time of a Date, whole seconds (milliseconds dropped):
 * UTCTime through 2049, GeneralizedTime from 2050.
 */
export function time(date: Date): Uint8Array {
  const y = date.getUTCFullYear();
  if (y < 1950 || y > 9999) {
    throw new RangeError(`Date out of X.509 range: ${date.toISOString()}`);
  }
  const rest = pad2(date.getUTCMonth() + 1) + pad2(date.getUTCDate()) +
    pad2(date.getUTCHours()) + pad2(date.getUTCMinutes()) +
    pad2(date.getUTCSeconds()) + "Z";
  return y < 2050
    ? tlv(TAG.UTC_TIME, new TextEncoder().encode(pad2(y % 100) + rest))
    : tlv(TAG.GENERALIZED_TIME, new TextEncoder().encode(String(y) + rest));
}

/** Context-specific tag byte: `[n]`, constructed or primitive. */
export const ctx = (n: number, constructed: boolean): number =>
  0x80 | (constructed ? 0x20 : 0) | n;

/** OBJECT IDENTIFIER from dotted text. */
export function oid(dotted: string): Uint8Array {
  const parts = dotted.split(".").map((p) => BigInt(p));
  if (parts.length < 2) throw new TypeError(`Bad OID "${dotted}"`);
  const arcs = [parts[0] * 40n + parts[1], ...parts.slice(2)];
  const out: number[] = [];
  for (let a of arcs) {
    const chunk: number[] = [Number(a & 0x7fn)];
    a >>= 7n;
    while (a > 0n) {
      chunk.unshift(Number(a & 0x7fn) | 0x80);
      a >>= 7n;
    }
    out.push(...chunk);
  }
  return tlv(TAG.OID, Uint8Array.from(out));
}

/** Dotted text of an OBJECT IDENTIFIER's content octets. */
export function readOid(value: Uint8Array): string {
  const arcs: bigint[] = [];
  let v = 0n;
  for (const b of value) {
    v = (v << 7n) | BigInt(b & 0x7f);
    if (!(b & 0x80)) {
      arcs.push(v);
      v = 0n;
    }
  }
  if (arcs.length === 0) throw new DerError("empty OID");
  const first = arcs[0] < 80n ? arcs[0] / 40n : 2n;
  return [first, arcs[0] - first * 40n, ...arcs.slice(1)].join(".");
}

const oidCache = new Map<string, Uint8Array>();

/** Like {@link oid}, memoised (for the fixed OIDs of hot paths). */
export function cachedOid(dotted: string): Uint8Array {
  let der = oidCache.get(dotted);
  if (!der) oidCache.set(dotted, der = oid(dotted));
  return der;
}

/** Well-known OIDs. */
export const OID = {
  ecPublicKey: "1.2.840.10045.2.1",
  prime256v1: "1.2.840.10045.3.1.7",
  secp384r1: "1.3.132.0.34",
  secp521r1: "1.3.132.0.35",
  rsaEncryption: "1.2.840.113549.1.1.1",
  ed25519: "1.3.101.112",
  subjectKeyId: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  crlNumber: "2.5.29.20",
  nameConstraints: "2.5.29.30",
  authorityKeyId: "2.5.29.35",
  extKeyUsage: "2.5.29.37",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  ecdsaWithSha384: "1.2.840.10045.4.3.3",
  ecdsaWithSha512: "1.2.840.10045.4.3.4",
  extensionRequest: "1.2.840.113549.1.9.14",
} as const;
