/**
 * The node identity as one unit in the state store: private key, certificate
 * chain and CA bundle change together (a crash leaves the old set or the new
 * set, never a mix — see docs/store.md). A unit whose key does not match its
 * certificate is rejected by the validator, so the store falls back to the
 * previous version.
 *
 * Members of unit `identity`: `key` (PKCS#8 DER), `cert` (concatenated DER,
 * leaf first), `ca` (concatenated DER of the trust bundle), `meta` (JSON:
 * upstream that issued it).
 *
 * @example
 * ```ts
 * const id = await loadIdentity(store);
 * if (id) console.log(id.leaf.serialHex, id.leaf.notAfter);
 * ```
 * @module
 */
import { EdgeError } from "../errors.ts";
import {
  assertKeyMatchesCertificate,
  type Certificate,
  encodeCertificateChainDer,
  encodeCertificateChainPem,
  encodePrivateKeyPkcs8Der,
  encodePrivateKeyPkcs8Pem,
  parseCertificateChainDer,
  parsePrivateKeyDer,
} from "../pki/mod.ts";
import type { Members, Store } from "../store/mod.ts";

/** Name of the unit holding the node identity. */
export const IDENTITY_UNIT = "identity";

/** Which upstream issued a node certificate. */
export type UpstreamKind = "hub" | "vault";

/** The node's identity: key, certificate chain and trust bundle. */
export interface NodeIdentity {
  /** The node's P-256 key pair (generated on the device). */
  keys: CryptoKeyPair;
  /** Certificate chain, leaf first. */
  chain: Certificate[];
  /** The leaf (`chain[0]`). */
  leaf: Certificate;
  /** Trust bundle: the CA(s) the hub's and peers' certificates chain to. */
  caBundle: Certificate[];
  /** Who issued the certificate. */
  upstream: UpstreamKind;
}

/** PEM texts of an identity, for TLS options and file sinks. */
export interface IdentityPem {
  /** PKCS#8 private key (secret). */
  keyPem: string;
  /** Chain, leaf first. */
  certPem: string;
  /** Trust bundle. */
  caPem: string;
}

/**
 * Build an identity from its parts; throws `KEY_MISMATCH` when the key is
 * not the leaf's, `CERT_INVALID` when the chain or bundle is empty.
 */
export async function makeIdentity(
  keys: CryptoKeyPair,
  chain: Certificate[],
  caBundle: Certificate[],
  upstream: UpstreamKind,
): Promise<NodeIdentity> {
  if (chain.length === 0) {
    throw new EdgeError(
      "CERT_INVALID",
      "node identity: empty certificate chain",
    );
  }
  if (caBundle.length === 0) {
    throw new EdgeError("CERT_INVALID", "node identity: empty CA bundle");
  }
  await assertKeyMatchesCertificate(keys, chain[0], "node certificate");
  return { keys, chain, leaf: chain[0], caBundle, upstream };
}

/** The unit's members for an identity. */
export async function encodeIdentityUnit(id: NodeIdentity): Promise<Members> {
  return {
    key: await encodePrivateKeyPkcs8Der(id.keys.privateKey),
    cert: encodeCertificateChainDer(id.chain),
    ca: encodeCertificateChainDer(id.caBundle),
    meta: new TextEncoder().encode(
      JSON.stringify({ version: 1, upstream: id.upstream }),
    ),
  };
}

/** Decode and validate a unit (key matches leaf); throws on any flaw. */
export async function decodeIdentityUnit(
  members: Members,
): Promise<NodeIdentity> {
  for (const name of ["key", "cert", "ca", "meta"]) {
    if (!members[name]) {
      throw new EdgeError(
        "STORE_CORRUPT",
        `node identity: member "${name}" is missing`,
      );
    }
  }
  const meta = JSON.parse(new TextDecoder().decode(members.meta));
  const upstream: UpstreamKind = meta.upstream === "vault" ? "vault" : "hub";
  const keys = await parsePrivateKeyDer(members.key);
  return await makeIdentity(
    keys,
    parseCertificateChainDer(members.cert),
    parseCertificateChainDer(members.ca),
    upstream,
  );
}

/** Validator for `store.readUnit`: the unit decodes and its key matches. */
export async function validateIdentityUnit(members: Members): Promise<void> {
  await decodeIdentityUnit(members);
}

/**
 * Load the node identity, or `undefined` when none was ever stored. A
 * corrupt or mismatched current version falls back to the previous one
 * (the store logs it); both bad → `STORE_CORRUPT`.
 */
export async function loadIdentity(
  store: Store,
): Promise<NodeIdentity | undefined> {
  const got = await store.readUnit(IDENTITY_UNIT, {
    validate: validateIdentityUnit,
  });
  return got ? await decodeIdentityUnit(got.members) : undefined;
}

/** Atomically store `id` as the node identity (one unit). */
export async function saveIdentity(
  store: Store,
  id: NodeIdentity,
): Promise<void> {
  await store.writeUnit(IDENTITY_UNIT, await encodeIdentityUnit(id));
}

/** PEM texts of `id` (the key is secret: never log it). */
export async function identityPem(id: NodeIdentity): Promise<IdentityPem> {
  return {
    keyPem: await encodePrivateKeyPkcs8Pem(id.keys.privateKey),
    certPem: encodeCertificateChainPem(id.chain),
    caPem: encodeCertificateChainPem(id.caBundle),
  };
}

/** The node's SPIFFE ID: the leaf's URI SAN, else `spiffe://<td>/node/<name>`. */
export function nodeSpiffeId(
  id: NodeIdentity | undefined,
  trustDomain: string,
  nodeName: string,
): string {
  const san = id?.leaf.uris.find((u) => u.startsWith("spiffe://"));
  return san ?? `spiffe://${trustDomain}/node/${nodeName}`;
}
