/**
 * Extension building and reading shared by CSRs, certificates and CRLs:
 * SANs, key usages, extended key usages, basic constraints, key identifiers
 * and URI/DNS name constraints (RFC 5280 §4.2.1.10, hand-encoded with
 * `_der.ts`, read with `_general_names.ts`).
 * Internal: not exported from `mod.ts`.
 * @module
 */
import { toHex } from "../bytes.ts";
import { ctx, ia5String, OID, seq, tlv } from "./_der.ts";
import {
  type GeneralName,
  ia5Text,
  ipText,
  parseGeneralNames,
  parseNameConstraints,
} from "./_general_names.ts";
import { x509 } from "./_x509.ts";

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

const KU_FLAGS: Record<KeyUsageName, number> = {
  digitalSignature: 1,
  nonRepudiation: 2,
  keyEncipherment: 4,
  dataEncipherment: 8,
  keyAgreement: 16,
  keyCertSign: 32,
  cRLSign: 64,
  encipherOnly: 128,
  decipherOnly: 256,
};

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
): x509.Extension | undefined {
  const json: x509.JsonGeneralName[] = [
    ...(names.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(names.ipAddresses ?? []).map((value) => {
      if (!/^[0-9.]+$/.test(value) && !value.includes(":")) {
        throw new TypeError(`Expected an IP address, got "${value}"`);
      }
      return { type: "ip" as const, value };
    }),
    ...(names.uris ?? []).map((value) => {
      if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:[\x21-\x7e]+$/.test(value)) {
        throw new TypeError(`Expected an absolute ASCII URI, got "${value}"`);
      }
      return { type: "url" as const, value };
    }),
  ];
  if (json.length === 0) return undefined;
  try {
    return new x509.SubjectAlternativeNameExtension(json, critical);
  } catch (cause) {
    throw new TypeError(`Invalid subject alternative name: ${cause}`, {
      cause,
    });
  }
}

/** Read SANs from a SAN extension (or empty lists when absent). */
export function readSan(ext: x509.Extension | null): SubjectAltNames {
  const out: SubjectAltNames = { dnsNames: [], ipAddresses: [], uris: [] };
  for (const n of ext ? parseGeneralNames(new Uint8Array(ext.value)) : []) {
    if (n.kind === "dns") out.dnsNames.push(ia5Text(n.bytes));
    else if (n.kind === "ip") out.ipAddresses.push(ipText(n.bytes));
    else if (n.kind === "uri") out.uris.push(ia5Text(n.bytes));
  }
  return out;
}

/** Build an EKU extension, or `undefined` for an empty list. */
export function buildEku(
  usages: readonly ExtKeyUsageName[] | undefined,
): x509.Extension | undefined {
  if (!usages || usages.length === 0) return undefined;
  const oids = [...new Set(usages)].map((u) => {
    const o = EKU_OIDS[u];
    if (!o) {
      throw new TypeError(
        `Expected extended key usage "serverAuth" or "clientAuth", got "${u}"`,
      );
    }
    return o;
  });
  return new x509.ExtendedKeyUsageExtension(oids, false);
}

/** EKU names (known ones by name, others by OID). */
export function readEku(ext: x509.Extension | null): string[] {
  if (!ext) return [];
  const eku = new x509.ExtendedKeyUsageExtension(new Uint8Array(ext.rawData));
  const byOid = Object.fromEntries(
    Object.entries(EKU_OIDS).map(([k, v]) => [v, k]),
  );
  return Array.from(eku.usages, (u) => byOid[String(u)] ?? String(u));
}

/** Build a critical KeyUsage extension. */
export function buildKeyUsage(usages: readonly KeyUsageName[]): x509.Extension {
  let flags = 0;
  for (const u of usages) {
    if (!(u in KU_FLAGS)) throw new TypeError(`Unknown key usage "${u}"`);
    flags |= KU_FLAGS[u];
  }
  return new x509.KeyUsagesExtension(flags, true);
}

/** Key usage names present in a KeyUsage extension. */
export function readKeyUsage(ext: x509.Extension | null): KeyUsageName[] {
  if (!ext) return [];
  const ku = new x509.KeyUsagesExtension(new Uint8Array(ext.rawData));
  return (Object.keys(KU_FLAGS) as KeyUsageName[]).filter((k) =>
    (ku.usages & KU_FLAGS[k]) !== 0
  );
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
}

/**
 * Build a critical NameConstraints extension with permitted subtrees only.
 * For URIs RFC 5280 takes a host: `example.org` matches exactly that host,
 * `.example.org` its subdomains.
 */
export function buildNameConstraints(
  input: NameConstraintsInput,
): x509.Extension {
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
  if (subtrees.length === 0) {
    throw new TypeError("Name constraints need at least one permitted name");
  }
  const value = seq(tlv(ctx(0, true), ...subtrees));
  return new x509.Extension(OID.nameConstraints, true, value as BufferSource);
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
  ext: x509.Extension | null,
): NameConstraints | undefined {
  if (!ext) return undefined;
  const nc = parseNameConstraints(new Uint8Array(ext.value));
  return {
    permitted: nc.permitted.map((s) => constraintName(s.base)),
    excluded: nc.excluded.map((s) => constraintName(s.base)),
  };
}

/** basicConstraints of a certificate or CSR, when present. */
export function readBasicConstraints(
  ext: x509.Extension | null,
): x509.BasicConstraintsExtension | undefined {
  return ext
    ? new x509.BasicConstraintsExtension(new Uint8Array(ext.rawData))
    : undefined;
}

/** SubjectKeyIdentifier as lowercase hex, when present. */
export function readSubjectKeyId(
  ext: x509.Extension | null,
): string | undefined {
  return ext
    ? new x509.SubjectKeyIdentifierExtension(new Uint8Array(ext.rawData))
      .keyId.toLowerCase()
    : undefined;
}

/** AuthorityKeyIdentifier keyIdentifier as lowercase hex, when present. */
export function readAuthorityKeyId(
  ext: x509.Extension | null,
): string | undefined {
  return ext
    ? new x509.AuthorityKeyIdentifierExtension(new Uint8Array(ext.rawData))
      .keyId?.toLowerCase()
    : undefined;
}
