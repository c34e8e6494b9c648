/**
 * Distinguished names, without the X.509 library: building the DER of a
 * Name from a {@link SubjectInput}, reading it back as text (RFC 4514-like,
 * byte-for-byte the text `@peculiar/x509` gave), comparing names and
 * splitting them into RDNs. Internal; the public types are re-exported by
 * `csr.ts`. `_name_test.ts` checks the text and DER against the library.
 * @module
 */
import { EdgeError } from "../errors.ts";
import { bytesEqual, toHex } from "../bytes.ts";
import {
  children,
  decodeOne,
  expectTag,
  oid,
  readOid,
  seq,
  TAG,
  tlv,
} from "./_der.ts";

/** Subject attributes by short name; `O` and `OU` may repeat. */
export interface SubjectFields {
  /** Country (2 letters). */
  C?: string;
  /** State or province. */
  ST?: string;
  /** Locality. */
  L?: string;
  /** Organization(s), e.g. `system:nodes`. */
  O?: string | string[];
  /** Organizational unit(s). */
  OU?: string | string[];
  /** Common name, e.g. `system:node:<node>`. */
  CN?: string;
}

/** A subject: fields, or an RFC 4514-like string (`CN=a, O=b`). */
export type SubjectInput = SubjectFields | string;

/** Attribute order used when building from fields (X.500 big-endian). */
const ORDER = ["C", "ST", "L", "O", "OU", "CN"] as const;

/** Short names ↔ OIDs, the set the X.509 library knew. */
const SHORT_NAMES: Record<string, string> = {
  CN: "2.5.4.3",
  L: "2.5.4.7",
  ST: "2.5.4.8",
  O: "2.5.4.10",
  OU: "2.5.4.11",
  C: "2.5.4.6",
  DC: "0.9.2342.19200300.100.1.25",
  E: "1.2.840.113549.1.9.1",
  G: "2.5.4.42",
  I: "2.5.4.43",
  SN: "2.5.4.4",
  T: "2.5.4.12",
};
const OID_NAMES: Record<string, string> = Object.fromEntries(
  Object.entries(SHORT_NAMES).map(([k, v]) => [v, k]),
);

/** String tags an attribute value may have (RFC 5280 DirectoryString + IA5). */
const STR = {
  UTF8: 0x0c,
  PRINTABLE: 0x13,
  TELETEX: 0x14,
  IA5: 0x16,
  UNIVERSAL: 0x1c,
  BMP: 0x1e,
} as const;

// ---------------------------------------------------------------- building

const isPrintable = (text: string) => /^[A-Za-z0-9 '()+,-./:=?]*$/.test(text);

/** Latin-1 bytes of text (as ASN.1 "binary" strings are written). */
function binaryBytes(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
}

/** Hex text to bytes the lenient way the library did (`#` values). */
function looseHex(text: string): Uint8Array {
  let h = text.replace(/[\n\r\t ]/g, "");
  if (h.length % 2) h = "0" + h;
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16) || 0;
  }
  return out;
}

function unescapeValue(value: string): string {
  const quoted = /"(.*?[^\\])?"/.exec(value);
  if (quoted) value = quoted[1];
  return value
    .replace(/\\0a/gi, "\n")
    .replace(/\\0d/gi, "\r")
    .replace(/\\0g/gi, "\t")
    .replace(/\\(.)/g, "$1");
}

function typeOid(type: string): string {
  const id = /[\d.]+/.test(type)
    ? type
    : Object.hasOwn(SHORT_NAMES, type)
    ? SHORT_NAMES[type]
    : "";
  if (!id) throw new Error(`Cannot get OID for name type '${type}'`);
  return id;
}

/** DER AttributeTypeAndValue (string type chosen as the library did). */
function attribute(type: string, value: string): Uint8Array {
  let encoded: Uint8Array;
  if (value[0] === "#") encoded = looseHex(value.slice(1));
  else {
    const v = unescapeValue(value);
    if (type === SHORT_NAMES.E || type === SHORT_NAMES.DC) {
      encoded = tlv(STR.IA5, binaryBytes(v));
    } else if (isPrintable(v)) encoded = tlv(STR.PRINTABLE, binaryBytes(v));
    else encoded = tlv(STR.UTF8, new TextEncoder().encode(v));
  }
  return seq(oid(type), encoded);
}

/** RFC 4514-like text → RDNs of attributes (the library's grammar). */
function rdnsFromString(data: string): Uint8Array[][] {
  const regex =
    /(\d\.[\d.]*\d|[A-Za-z]+)=((?:"")|(?:".*?[^\\]")|(?:[^,+"\\](?=[,+]|$))|(?:[^,+].*?(?:[^\\][,+]))|(?:))([,+])?/g;
  const rdns: Uint8Array[][] = [];
  let level = ",";
  let m: RegExpExecArray | null;
  while ((m = regex.exec(`${data},`))) {
    let value = m[2];
    let next = m[3];
    const last = value[value.length - 1];
    if (last === "," || last === "+") {
      value = value.slice(0, -1);
      next = last;
    }
    const attr = attribute(typeOid(m[1]), value);
    if (level === "+" && rdns.length > 0) rdns[rdns.length - 1].push(attr);
    else rdns.push([attr]);
    level = next;
  }
  return rdns;
}

/** DER of the Name for `subject`; `undefined` or `{}` give the empty name. */
export function buildName(subject: SubjectInput | undefined): Uint8Array {
  let rdns: Uint8Array[][] = [];
  if (typeof subject === "string") {
    try {
      rdns = rdnsFromString(subject);
    } catch (cause) {
      throw new TypeError(`Cannot parse subject "${subject}"`, { cause });
    }
  } else if (subject !== undefined) {
    for (const key of ORDER) {
      const v = subject[key];
      if (v === undefined) continue;
      for (const value of Array.isArray(v) ? v : [v]) {
        if (value === "") {
          throw new TypeError(`Subject ${key} must not be empty`);
        }
        rdns.push([attribute(SHORT_NAMES[key], value)]);
      }
    }
  }
  return seq(...rdns.map((attrs) => tlv(TAG.SET, ...attrs)));
}

// ----------------------------------------------------------------- reading

/** True when the DER of a Name is the empty SEQUENCE. */
export function isEmptyName(der: Uint8Array): boolean {
  return der.byteLength <= 2;
}

/** A name to compare: its DER and its text. */
export interface NameRef {
  der: Uint8Array;
  text: string;
}

/** Compare two Names by DER, falling back to case-insensitive text. */
export function sameName(a: NameRef, b: NameRef): boolean {
  return bytesEqual(a.der, b.der) ||
    a.text.toLowerCase() === b.text.toLowerCase();
}

/** The RDN SETs of a Name (its DER), each as its whole encoding. */
export function nameRdns(der: Uint8Array): Uint8Array[] {
  return children(expectTag(decodeOne(der), TAG.SEQUENCE, "Name").value)
    .map((t) => t.raw);
}

/** The readable pieces of a Name. */
export interface NameView {
  /** RFC 4514-like text, e.g. `O=system:nodes, CN=system:node:a`. */
  text: string;
  /** First CN, if any. */
  commonName?: string;
  /** All O values. */
  organizations: string[];
  /** DER of the Name (for exact issuer/subject matching). */
  der: Uint8Array;
}

interface Attr {
  type: string;
  /** Decoded string, or undefined for a value of another ASN.1 type. */
  text?: string;
  /** Whole value TLV. */
  raw: Uint8Array;
}

function utf16be(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i + 1 < b.length; i += 2) {
    s += String.fromCharCode((b[i] << 8) | b[i + 1]);
  }
  return s;
}

function utf32be(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i + 3 < b.length; i += 4) {
    s += String.fromCodePoint(
      ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0,
    );
  }
  return s;
}

function decodeString(tag: number, v: Uint8Array): string | undefined {
  switch (tag) {
    case STR.PRINTABLE:
    case STR.TELETEX:
    case STR.IA5:
      return String.fromCharCode(...v);
    case STR.UTF8:
      return new TextDecoder().decode(v);
    case STR.BMP:
      return utf16be(v);
    case STR.UNIVERSAL:
      return utf32be(v);
    default:
      return undefined;
  }
}

function readAttrs(der: Uint8Array): Attr[][] {
  return children(expectTag(decodeOne(der), TAG.SEQUENCE, "Name").value).map(
    (rdn) =>
      children(expectTag(rdn, TAG.SET, "RDN").value).map((atv) => {
        const parts = children(
          expectTag(atv, TAG.SEQUENCE, "AttributeTypeAndValue").value,
        );
        if (parts.length !== 2) throw new Error("attribute needs 2 fields");
        const [type, value] = parts;
        return {
          type: readOid(expectTag(type, TAG.OID, "type").value),
          text: decodeString(value.tag, value.value),
          raw: value.raw,
        };
      }),
  );
}

function escapeValue(data: string): string {
  return data
    .replace(/([,+"\\<>;])/g, "\\$1")
    .replace(/^([ #])/, "\\$1")
    .replace(/([ ]$)/, "\\$1")
    .replace(
      /([\r\n\t])/,
      (c) => `\\${toHex(new TextEncoder().encode(c)).toUpperCase()}`,
    );
}

const fieldText = (a: Attr) => a.text ?? toHex(a.raw);

function nameText(attrs: Attr[][]): string {
  return attrs.map((rdn) =>
    rdn.map((a) =>
      `${OID_NAMES[a.type] ?? a.type}=${
        a.text === undefined ? "#" + toHex(a.raw) : escapeValue(a.text)
      }`
    ).join("+")
  ).join(", ");
}

/**
 * Read a Name's DER into a {@link NameView}. Throws `CERT_INVALID` when
 * malformed.
 */
export function readName(der: Uint8Array): NameView {
  let attrs: Attr[][];
  try {
    attrs = readAttrs(der);
  } catch (cause) {
    throw new EdgeError("CERT_INVALID", "Malformed distinguished name", {
      cause,
    });
  }
  const flat = attrs.flat();
  return {
    text: nameText(attrs),
    commonName: flat.filter((a) => a.type === SHORT_NAMES.CN).map(fieldText)[0],
    organizations: flat.filter((a) => a.type === SHORT_NAMES.O).map(fieldText),
    der: new Uint8Array(der),
  };
}

/** Last CN value of a Name's DER (OpenSSL's pick for hostname checks). */
export function lastCommonName(der: Uint8Array): string | undefined {
  return readAttrs(der).flat().filter((a) => a.type === SHORT_NAMES.CN).map(
    fieldText,
  ).at(-1);
}
