/**
 * Distinguished names: building from a {@link SubjectInput}, reading CN/O
 * back, comparing names and splitting them into RDNs. Internal; the public
 * types are re-exported by `csr.ts`.
 * @module
 */
import { EdgeError } from "../errors.ts";
import { bytesEqual } from "../bytes.ts";
import { children, decodeOne, expectTag, TAG } from "./_der.ts";
import { x509 } from "./_x509.ts";

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

/** Build an `x509.Name`; `undefined` or `{}` give the empty name. */
export function buildName(subject: SubjectInput | undefined): x509.Name {
  if (subject === undefined) return new x509.Name([]);
  if (typeof subject === "string") {
    try {
      return new x509.Name(subject);
    } catch (cause) {
      throw new TypeError(`Cannot parse subject "${subject}"`, { cause });
    }
  }
  const json: Record<string, string[]>[] = [];
  for (const key of ORDER) {
    const v = subject[key];
    if (v === undefined) continue;
    for (const value of Array.isArray(v) ? v : [v]) {
      if (value === "") throw new TypeError(`Subject ${key} must not be empty`);
      json.push({ [key]: [value] });
    }
  }
  return new x509.Name(json);
}

/** True when the DER of a Name is the empty SEQUENCE. */
export function isEmptyName(name: x509.Name): boolean {
  return name.toArrayBuffer().byteLength <= 2;
}

/** Compare two Names by DER, falling back to case-insensitive text. */
export function sameName(a: x509.Name, b: x509.Name): boolean {
  const x = new Uint8Array(a.toArrayBuffer());
  const y = new Uint8Array(b.toArrayBuffer());
  return bytesEqual(x, y) ||
    a.toString().toLowerCase() === b.toString().toLowerCase();
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

/** Read a Name into a {@link NameView}. */
export function readName(name: x509.Name): NameView {
  try {
    return {
      text: name.toString(),
      commonName: name.getField("CN")[0],
      organizations: name.getField("O"),
      der: new Uint8Array(name.toArrayBuffer()),
    };
  } catch (cause) {
    throw new EdgeError("CERT_INVALID", "Malformed distinguished name", {
      cause,
    });
  }
}
