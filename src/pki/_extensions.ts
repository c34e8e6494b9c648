/**
 * Extension building and reading shared by CSRs, certificates and CRLs:
 * SANs, key usages, extended key usages, basic constraints, key identifiers
 * and URI/DNS name constraints (RFC 5280 §4.2.1), all hand-encoded and read
 * with `_der.ts` / `_general_names.ts` (no ASN.1 schema library on the
 * issuance path). Readers take the extension's `extnValue` content octets.
 * Internal: not exported from `mod.ts`.
 * @module
 */
import { toHex } from "../bytes.ts";
import {
  boolean,
  cachedOid,
  children,
  ctx,
  decodeOne,
  DerError,
  expectTag,
  ia5String,
  integer,
  octetString,
  OID,
  readInteger,
  readOid,
  seq,
  TAG,
  tlv,
} from "./_der.ts";
import {
  type GeneralName,
  ia5Text,
  ipBytes,
  ipText,
  parseGeneralNames,
  parseNameConstraints,
} from "./_general_names.ts";

/** Extended key usages edge-runtime requests and issues. */
export type ExtKeyUsageName = "serverAuth" | "clientAuth";

/** OIDs of the named extended key usages. */
export const EKU_OIDS: Record<ExtKeyUsageName, string> = {
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
};

/** Key usage bit names (RFC 5280 §4.2.1.3). */
export type KeyUsageName =
  | "digitalSignature"
  | "nonRepudiation"
  | "keyEncipherment"
  | "dataEncipherment"
  | "keyAgreement"
  | "keyCertSign"
  | "cRLSign"
  | "encipherOnly"
  | "decipherOnly";

/** KeyUsage names in BIT STRING bit order (bit 0 = digitalSignature). */
const KU_BITS: readonly KeyUsageName[] = [
  "digitalSignature",
  "nonRepudiation",
  "keyEncipherment",
  "dataEncipherment",
  "keyAgreement",
  "keyCertSign",
  "cRLSign",
  "encipherOnly",
  "decipherOnly",
];

/** One extension, ready to encode: OID, criticality, `extnValue` content. */
export interface DerExtension {
  oid: string;
  critical: boolean;
  value: Uint8Array;
}

/** DER `Extension ::= SEQUENCE { extnID, critical DEFAULT FALSE, extnValue }`. */
export function encodeExtension(ext: DerExtension): Uint8Array {
  return ext.critical
    ? seq(cachedOid(ext.oid), boolean(true), octetString(ext.value))
    : seq(cachedOid(ext.oid), octetString(ext.value));
}

/** DER `Extensions ::= SEQUENCE OF Extension`. */
export function encodeExtensions(exts: readonly DerExtension[]): Uint8Array {
  return seq(...exts.map(encodeExtension));
}

/** The `extnValue` content of each extension of an `Extensions` SEQUENCE, by OID. */
export function readExtensions(
  der: Uint8Array,
): Map<string, { critical: boolean; value: Uint8Array }> {
  const out = new Map<string, { critical: boolean; value: Uint8Array }>();
  for (
    const e of children(
      expectTag(decodeOne(der), TAG.SEQUENCE, "Extensions").value,
    )
  ) {
    const parts = children(expectTag(e, TAG.SEQUENCE, "Extension").value);
    if (parts.length < 2 || parts.length > 3) {
      throw new DerError("Extension: expected 2 or 3 fields");
    }
    const id = readOid(expectTag(parts[0], TAG.OID, "extnID").value);
    const critical = parts.length === 3 &&
      expectTag(parts[1], TAG.BOOLEAN, "critical").value[0] !== 0;
    const value =
      expectTag(parts[parts.length - 1], TAG.OCTET_STRING, "extnValue")
        .value;
    if (out.has(id)) throw new DerError(`duplicate extension ${id}`);
    out.set(id, { critical, value });
  }
  return out;
}

/** Subject alternative names. */
export interface SubjectAltNames {
  dnsNames: string[];
  ipAddresses: string[];
  uris: string[];
}

/** Build a SAN extension, or `undefined` when there are no names. */
export function buildSan(
  names: Partial<SubjectAltNames>,
  critical: boolean,
): DerExtension | undefined {
  const gns: Uint8Array[] = [];
  try {
    for (const dns of names.dnsNames ?? []) {
      gns.push(ia5String(dns, ctx(2, false)));
    }
    for (const ip of names.ipAddresses ?? []) {
      gns.push(tlv(ctx(7, false), ipBytes(ip)));
    }
    for (const uri of names.uris ?? []) {
      if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:[\x21-\x7e]+$/.test(uri)) {
        throw new TypeError(`Expected an absolute ASCII URI, got "${uri}"`);
      }
      gns.push(ia5String(uri, ctx(6, false)));
    }
  } catch (cause) {
    if (cause instanceof TypeError) throw cause;
    throw new TypeError(`Invalid subject alternative name: ${cause}`, {
      cause,
    });
  }
  if (gns.length === 0) return undefined;
  return { oid: OID.subjectAltName, critical, value: seq(...gns) };
}

/** Read SANs from a SAN extension value (or empty lists when absent). */
export function readSan(value: Uint8Array | undefined): SubjectAltNames {
  const out: SubjectAltNames = { dnsNames: [], ipAddresses: [], uris: [] };
  for (const n of value ? parseGeneralNames(value) : []) {
    if (n.kind === "dns") out.dnsNames.push(ia5Text(n.bytes));
    else if (n.kind === "ip") out.ipAddresses.push(ipText(n.bytes));
    else if (n.kind === "uri") out.uris.push(ia5Text(n.bytes));
  }
  return out;
}

/** Build an EKU extension, or `undefined` for an empty list. */
export function buildEku(
  usages: readonly ExtKeyUsageName[] | undefined,
): DerExtension | undefined {
  if (!usages || usages.length === 0) return undefined;
  const oids = [...new Set(usages)].map((u) => {
    const o = EKU_OIDS[u];
    if (!o) {
      throw new TypeError(
        `Expected extended key usage "serverAuth" or "clientAuth", got "${u}"`,
      );
    }
    return cachedOid(o);
  });
  return { oid: OID.extKeyUsage, critical: false, value: seq(...oids) };
}

const EKU_BY_OID: Record<string, string> = Object.fromEntries(
  Object.entries(EKU_OIDS).map(([k, v]) => [v, k]),
);

/** EKU names (known ones by name, others by OID). */
export function readEku(value: Uint8Array | undefined): string[] {
  if (!value) return [];
  return children(
    expectTag(decodeOne(value), TAG.SEQUENCE, "ExtKeyUsage").value,
  )
    .map((t) => {
      const o = readOid(expectTag(t, TAG.OID, "KeyPurposeId").value);
      return EKU_BY_OID[o] ?? o;
    });
}

/** Build a critical KeyUsage extension (named BIT STRING, trailing zeros dropped). */
export function buildKeyUsage(usages: readonly KeyUsageName[]): DerExtension {
  let last = -1;
  const bits = new Uint8Array(2);
  for (const u of usages) {
    const i = KU_BITS.indexOf(u);
    if (i < 0) throw new TypeError(`Unknown key usage "${u}"`);
    bits[i >> 3] |= 0x80 >> (i & 7);
    last = Math.max(last, i);
  }
  const n = last < 0 ? 0 : (last >> 3) + 1;
  const unused = last < 0 ? 0 : 7 - (last & 7);
  return {
    oid: OID.keyUsage,
    critical: true,
    value: tlv(TAG.BIT_STRING, Uint8Array.of(unused), bits.subarray(0, n)),
  };
}

/** Key usage names present in a KeyUsage extension value. */
export function readKeyUsage(value: Uint8Array | undefined): KeyUsageName[] {
  if (!value) return [];
  const bs = expectTag(decodeOne(value), TAG.BIT_STRING, "KeyUsage").value;
  if (bs.length === 0 || bs[0] > 7) throw new DerError("malformed BIT STRING");
  return KU_BITS.filter((_, i) =>
    ((bs[1 + (i >> 3)] ?? 0) & (0x80 >> (i & 7))) !== 0
  );
}

/** Build a critical basicConstraints extension. */
export function buildBasicConstraints(
  ca: boolean,
  pathLength?: number,
): DerExtension {
  const parts: Uint8Array[] = [];
  if (ca) parts.push(boolean(true));
  if (ca && pathLength !== undefined) parts.push(integer(pathLength));
  return { oid: OID.basicConstraints, critical: true, value: seq(...parts) };
}

/** basicConstraints of a certificate or CSR. */
export interface BasicConstraints {
  ca: boolean;
  pathLength?: number;
}

/** Read a basicConstraints extension value, when present. */
export function readBasicConstraints(
  value: Uint8Array | undefined,
): BasicConstraints | undefined {
  if (!value) return undefined;
  const out: BasicConstraints = { ca: false };
  for (
    const t of children(
      expectTag(decodeOne(value), TAG.SEQUENCE, "BasicConstraints").value,
    )
  ) {
    if (t.tag === TAG.BOOLEAN) out.ca = t.value[0] !== 0;
    else if (t.tag === TAG.INTEGER) {
      out.pathLength = Number(readInteger(t.value));
    } else throw new DerError("BasicConstraints: unexpected field");
  }
  return out;
}

/** SubjectKeyIdentifier extension holding `keyId`. */
export function buildSubjectKeyId(keyId: Uint8Array): DerExtension {
  return { oid: OID.subjectKeyId, critical: false, value: octetString(keyId) };
}

/** AuthorityKeyIdentifier extension with only `keyIdentifier` [0]. */
export function buildAuthorityKeyId(keyId: Uint8Array): DerExtension {
  return {
    oid: OID.authorityKeyId,
    critical: false,
    value: seq(tlv(ctx(0, false), keyId)),
  };
}

/** SubjectKeyIdentifier as lowercase hex, when present. */
export function readSubjectKeyId(
  value: Uint8Array | undefined,
): string | undefined {
  return value
    ? toHex(
      expectTag(decodeOne(value), TAG.OCTET_STRING, "KeyIdentifier").value,
    )
    : undefined;
}

/** AuthorityKeyIdentifier keyIdentifier as lowercase hex, when present. */
export function readAuthorityKeyId(
  value: Uint8Array | undefined,
): string | undefined {
  if (!value) return undefined;
  const parts = children(
    expectTag(decodeOne(value), TAG.SEQUENCE, "AuthorityKeyIdentifier").value,
  );
  const id = parts.find((t) => t.tag === ctx(0, false));
  return id ? toHex(id.value) : undefined;
}

/** One general name inside name constraints. */
export interface ConstraintName {
  type: "uri" | "dns" | "email" | "ip" | "other";
  /** The constraint text (for `ip`: hex of address+mask; for `other`: hex DER). */
  value: string;
}

/** Permitted and excluded subtrees of a NameConstraints extension. */
export interface NameConstraints {
  permitted: ConstraintName[];
  excluded: ConstraintName[];
}

/** Options for {@link buildNameConstraints}. */
export interface NameConstraintsInput {
  /** Hosts for URI constraints: `td` = exactly that host, `.td` = subdomains. */
  permittedUriDomains?: readonly string[];
  /** DNS name constraints. */
  permittedDnsDomains?: readonly string[];
  /** IP ranges in CIDR form, e.g. `10.0.0.0/8`, `::/128`. */
  permittedIpRanges?: readonly string[];
}

/**
 * Build a critical NameConstraints extension with permitted subtrees only.
 * For URIs RFC 5280 takes a host: `example.org` matches exactly that host,
 * `.example.org` its subdomains.
 */
export function buildNameConstraints(
  input: NameConstraintsInput,
): DerExtension {
  const subtrees: Uint8Array[] = [];
  for (const host of input.permittedUriDomains ?? []) {
    if (!/^\.?[a-z0-9._-]+$/i.test(host)) {
      throw new TypeError(
        `Expected a host for a URI name constraint, got "${host}"`,
      );
    }
    subtrees.push(seq(ia5String(host, ctx(6, false))));
  }
  for (const dns of input.permittedDnsDomains ?? []) {
    subtrees.push(seq(ia5String(dns, ctx(2, false))));
  }
  for (const range of input.permittedIpRanges ?? []) {
    subtrees.push(seq(tlv(ctx(7, false), ipRangeBytes(range))));
  }
  if (subtrees.length === 0) {
    throw new TypeError("Name constraints need at least one permitted name");
  }
  const value = seq(tlv(ctx(0, true), ...subtrees));
  return { oid: OID.nameConstraints, critical: true, value };
}

/** `addr/prefix` → address bytes followed by mask bytes (RFC 5280 §4.2.1.10). */
function ipRangeBytes(cidr: string): Uint8Array {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  if (!m) {
    throw new TypeError(
      `Expected an IP range like "10.0.0.0/8", got "${cidr}"`,
    );
  }
  const addr = ipBytes(m[1]);
  const prefix = Number(m[2]);
  if (prefix > addr.length * 8) {
    throw new TypeError(`IP range "${cidr}": prefix longer than the address`);
  }
  const out = new Uint8Array(addr.length * 2);
  for (let i = 0; i < addr.length; i++) {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    const mask = bits === 0 ? 0 : (0xff << (8 - bits)) & 0xff;
    out[i] = addr[i] & mask;
    out[addr.length + i] = mask;
  }
  return out;
}

function constraintName(n: GeneralName): ConstraintName {
  switch (n.kind) {
    case "uri":
    case "dns":
    case "email":
      return { type: n.kind, value: ia5Text(n.bytes) };
    case "ip":
      return { type: "ip", value: toHex(n.bytes) };
    default:
      return { type: "other", value: toHex(n.raw) };
  }
}

/** Parse a NameConstraints extension value. */
export function readNameConstraints(
  value: Uint8Array | undefined,
): NameConstraints | undefined {
  if (!value) return undefined;
  const nc = parseNameConstraints(value);
  return {
    permitted: nc.permitted.map((s) => constraintName(s.base)),
    excluded: nc.excluded.map((s) => constraintName(s.base)),
  };
}
