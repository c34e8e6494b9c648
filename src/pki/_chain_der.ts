/**
 * The DER the chain verifier reads itself, so it never trips over names
 * `@peculiar/x509` cannot model (otherName etc.): GeneralNames (SAN),
 * NameConstraints (RFC 5280 §4.2.1.10) and the RDNs of a Name.
 * Single-byte tags only. Internal to `chain.ts`.
 * @module
 */

/** One TLV: `tag`, content octets and the whole encoding. */
interface Tlv {
  tag: number;
  value: Uint8Array;
  raw: Uint8Array;
}

/** Kinds of GeneralName (RFC 5280 §4.2.1.6), by context tag number. */
export type GeneralNameKind =
  | "otherName"
  | "email"
  | "dns"
  | "x400"
  | "dirName"
  | "edi"
  | "uri"
  | "ip"
  | "registeredId";

const KINDS: GeneralNameKind[] = [
  "otherName",
  "email",
  "dns",
  "x400",
  "dirName",
  "edi",
  "uri",
  "ip",
  "registeredId",
];

/** A decoded GeneralName: its kind and content octets (for dirName: the Name DER). */
export interface GeneralNameValue {
  kind: GeneralNameKind;
  bytes: Uint8Array;
}

/** One GeneralSubtree; `minimum`/`maximum` kept so callers can reject them. */
export interface GeneralSubtree {
  base: GeneralNameValue;
  minimum: number;
  maximum?: number;
}

/** Decoded NameConstraints. */
export interface NameConstraints {
  permitted: GeneralSubtree[];
  excluded: GeneralSubtree[];
}

function readTlv(buf: Uint8Array, pos: number): Tlv {
  if (pos + 2 > buf.length) throw new Error("truncated DER");
  const tag = buf[pos];
  let len = buf[pos + 1];
  let off = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || off + n > buf.length) {
      throw new Error("bad DER length");
    }
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[off + i];
    off += n;
  }
  if (off + len > buf.length) throw new Error("truncated DER");
  return {
    tag,
    value: buf.subarray(off, off + len),
    raw: buf.subarray(pos, off + len),
  };
}

function children(value: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  for (let pos = 0; pos < value.length;) {
    const t = readTlv(value, pos);
    out.push(t);
    pos += t.raw.length;
  }
  return out;
}

function one(der: Uint8Array, tag: number): Tlv {
  const t = readTlv(der, 0);
  if (t.tag !== tag || t.raw.length !== der.length) {
    throw new Error(`expected DER tag 0x${tag.toString(16)}`);
  }
  return t;
}

function smallInt(v: Uint8Array): number {
  let n = 0;
  for (const b of v) n = n * 256 + b;
  return n;
}

function generalName(t: Tlv): GeneralNameValue {
  const num = t.tag & 0x1f;
  if ((t.tag & 0xc0) !== 0x80 || num >= KINDS.length) {
    throw new Error(`unknown GeneralName tag 0x${t.tag.toString(16)}`);
  }
  // directoryName is EXPLICIT, so its content is a whole Name SEQUENCE.
  return { kind: KINDS[num], bytes: t.value };
}

/** Decode a GeneralNames SEQUENCE (e.g. the SAN extension value). */
export function parseGeneralNames(der: Uint8Array): GeneralNameValue[] {
  return children(one(der, 0x30).value).map(generalName);
}

function subtrees(value: Uint8Array): GeneralSubtree[] {
  return children(value).map((st) => {
    if (st.tag !== 0x30) throw new Error("GeneralSubtree is not a SEQUENCE");
    const [base, ...rest] = children(st.value);
    if (!base) throw new Error("GeneralSubtree has no base");
    const out: GeneralSubtree = { base: generalName(base), minimum: 0 };
    for (const r of rest) {
      if (r.tag === 0x80) out.minimum = smallInt(r.value);
      else if (r.tag === 0x81) out.maximum = smallInt(r.value);
    }
    return out;
  });
}

/** Decode a NameConstraints extension value. */
export function parseNameConstraints(der: Uint8Array): NameConstraints {
  const out: NameConstraints = { permitted: [], excluded: [] };
  for (const part of children(one(der, 0x30).value)) {
    if (part.tag === 0xa0) out.permitted = subtrees(part.value);
    else if (part.tag === 0xa1) out.excluded = subtrees(part.value);
  }
  return out;
}

/** The RDN SETs of a Name (its DER), each as its whole encoding. */
export function nameRdns(der: Uint8Array): Uint8Array[] {
  return children(one(der, 0x30).value).map((t) => t.raw);
}

/** ASCII text of an IA5String's content octets. */
export function ia5(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}
