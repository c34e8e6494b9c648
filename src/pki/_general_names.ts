/**
 * GeneralNames (RFC 5280 §4.2.1.6) and NameConstraints (§4.2.1.10) read
 * straight from DER with `_der.ts`, so no name kind (otherName, x400, …)
 * trips the reader. Used by the certificate view and the chain verifier.
 * Internal: not exported from `mod.ts`.
 * @module
 */
import {
  children,
  decodeOne,
  DerError,
  expectTag,
  TAG,
  type Tlv,
} from "./_der.ts";

/** Kinds of GeneralName, by context tag number. */
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

/**
 * A decoded GeneralName: its kind, content octets (for dirName: the Name
 * DER, as the tag is EXPLICIT) and the whole TLV.
 */
export interface GeneralName {
  kind: GeneralNameKind;
  bytes: Uint8Array;
  raw: Uint8Array;
}

/** One GeneralSubtree; `minimum`/`maximum` kept so callers can reject them. */
export interface GeneralSubtree {
  base: GeneralName;
  minimum: number;
  maximum?: number;
}

/** Decoded NameConstraints subtrees. */
export interface NameConstraintSubtrees {
  permitted: GeneralSubtree[];
  excluded: GeneralSubtree[];
}

/** Decode one GeneralName TLV; throws `DerError` for a tag outside [0]..[8]. */
export function readGeneralName(t: Tlv): GeneralName {
  const num = t.tag & 0x1f;
  if ((t.tag & 0xc0) !== 0x80 || num >= KINDS.length) {
    throw new DerError(`unknown GeneralName tag 0x${t.tag.toString(16)}`);
  }
  return { kind: KINDS[num], bytes: t.value, raw: t.raw };
}

/** Decode a GeneralNames SEQUENCE (e.g. the SAN extension value). */
export function parseGeneralNames(der: Uint8Array): GeneralName[] {
  return children(expectTag(decodeOne(der), TAG.SEQUENCE, "GeneralNames").value)
    .map(readGeneralName);
}

function smallInt(v: Uint8Array): number {
  let n = 0;
  for (const b of v) n = n * 256 + b;
  return n;
}

function subtrees(value: Uint8Array): GeneralSubtree[] {
  return children(value).map((st) => {
    const [base, ...rest] = children(
      expectTag(st, TAG.SEQUENCE, "GeneralSubtree").value,
    );
    if (!base) throw new DerError("GeneralSubtree has no base");
    const out: GeneralSubtree = { base: readGeneralName(base), minimum: 0 };
    for (const r of rest) {
      if (r.tag === 0x80) out.minimum = smallInt(r.value);
      else if (r.tag === 0x81) out.maximum = smallInt(r.value);
    }
    return out;
  });
}

/** Decode a NameConstraints extension value. */
export function parseNameConstraints(der: Uint8Array): NameConstraintSubtrees {
  const out: NameConstraintSubtrees = { permitted: [], excluded: [] };
  const top = expectTag(decodeOne(der), TAG.SEQUENCE, "NameConstraints");
  for (const part of children(top.value)) {
    if (part.tag === 0xa0) out.permitted = subtrees(part.value);
    else if (part.tag === 0xa1) out.excluded = subtrees(part.value);
  }
  return out;
}

/** ASCII text of an IA5String's content octets (one char per byte). */
export function ia5Text(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

function ipv4Bytes(text: string): number[] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts : undefined;
}

function ipv6Groups(text: string): number[] | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (h: string): number[] | undefined => {
    if (h === "") return [];
    const out: number[] = [];
    const parts = h.split(":");
    for (let i = 0; i < parts.length; i++) {
      const v4 = i === parts.length - 1 ? ipv4Bytes(parts[i]) : undefined;
      if (v4) out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      else if (/^[0-9a-f]{1,4}$/i.test(parts[i])) {
        out.push(parseInt(parts[i], 16));
      } else return undefined;
    }
    return out;
  };
  const left = groups(halves[0]);
  const right = halves.length === 2 ? groups(halves[1]) : [];
  if (!left || !right) return undefined;
  if (halves.length === 1) return left.length === 8 ? left : undefined;
  const missing = 8 - left.length - right.length;
  return missing >= 1
    ? [...left, ...Array(missing).fill(0), ...right]
    : undefined;
}

/**
 * Octets of an iPAddress GeneralName from dotted IPv4 or IPv6 text (with
 * `::` and an embedded IPv4 tail). Throws `TypeError` for anything else.
 */
export function ipBytes(text: string): Uint8Array {
  const v4 = ipv4Bytes(text);
  if (v4) return Uint8Array.from(v4);
  const v6 = text.includes(":") ? ipv6Groups(text) : undefined;
  if (!v6) throw new TypeError(`Expected an IP address, got "${text}"`);
  return Uint8Array.from(v6.flatMap((g) => [g >> 8, g & 0xff]));
}

/**
 * Text of an iPAddress GeneralName: dotted IPv4, or IPv6 with the longest
 * run (two or more) of zero groups shortened to `::`.
 */
export function ipText(b: Uint8Array): string {
  if (b.length === 4) return b.join(".");
  if (b.length !== 16) {
    throw new DerError(`expected a 4 or 16-byte IP address, found ${b.length}`);
  }
  const g: string[] = [];
  for (let i = 0; i < 16; i += 2) g.push(((b[i] << 8) | b[i + 1]).toString(16));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && g[j] === "0") j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j > i ? j : i + 1;
  }
  return best < 0
    ? g.join(":")
    : `${g.slice(0, best).join(":")}::${g.slice(best + bestLen).join(":")}`;
}
