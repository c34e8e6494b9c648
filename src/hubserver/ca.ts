/**
 * The hub's certificate authority: generated on first start (ECDSA P-256,
 * self-signed, kept in the state dir as unit `ca`), or imported from files —
 * optionally as an intermediate under an offline root, in which case the hub
 * holds only the intermediate key and publishes the root at `/ca.crt`.
 *
 * @example
 * ```ts
 * const ca = await loadOrCreateCa(store, config.ca);
 * console.log(ca.hash); // part 0 of every join token
 * ```
 * @module
 */
import { type Clock, systemClock } from "../clock.ts";
import { EdgeError } from "../errors.ts";
import type { HubConfig } from "../config/mod.ts";
import {
  assertKeyMatchesCertificate,
  caHash,
  type Certificate,
  type CertificateIssuer,
  createSelfSignedCa,
  encodePrivateKeyPkcs8Der,
  generateKeyPair,
  issueCertificate,
  parseCertificate,
  parseCertificateDer,
  parsePrivateKey,
  parsePrivateKeyDer,
  verifyChain,
} from "../pki/mod.ts";
import type { Store } from "../store/mod.ts";

/** Store unit holding a generated CA: members `cert` (DER), `key` (PKCS#8 DER). */
export const CA_UNIT = "ca";

/** The CA as the hub uses it. */
export interface HubCa {
  /** Signs node certificates, node intermediates, the CRL and the hub's TLS cert. */
  issuer: CertificateIssuer;
  /** Trust anchor published at `/ca.crt` (the issuer itself when single-tier). */
  root: Certificate;
  /** Certificates between a leaf and `root` (the issuer when two-tier), leaf-side first. */
  intermediates: Certificate[];
  /** KubeEdge CA hash: SHA-256 of `root`'s DER, lowercase hex. */
  hash: string;
}

/** Options of {@link loadOrCreateCa}. */
export interface LoadCaOptions {
  /** @default systemClock */
  clock?: Clock;
}

/**
 * Load the CA described by `config`: for `generate`, read unit `ca` or create
 * and store a new self-signed CA; for `import`, read `certFile`/`keyFile` (and
 * the offline root). Throws `CONFIG_INVALID` for unusable files.
 */
export async function loadOrCreateCa(
  store: Store,
  config: HubConfig["ca"],
  options: LoadCaOptions = {},
): Promise<HubCa> {
  const clock = options.clock ?? systemClock;
  if (config.mode === "import") return await importCa(config, clock);
  const existing = await readStoredCa(store);
  if (existing) return await hubCa(existing, undefined);
  const issuer = await createSelfSignedCa({
    subject: { CN: config.commonName },
    ttlMs: config.ttl,
    clock,
  });
  await store.writeUnit(CA_UNIT, {
    cert: issuer.cert.der,
    key: await encodePrivateKeyPkcs8Der(issuer.keys.privateKey),
  });
  return await hubCa(issuer, undefined);
}

/**
 * The CA hash without creating anything (for `edge-runtime hub ca-hash`).
 * Throws `STORE_NOT_FOUND` when a generated CA does not exist yet.
 */
export async function readCaHash(
  store: Store,
  config: HubConfig["ca"],
): Promise<string> {
  if (config.mode === "import") {
    return (await importCa(config, systemClock)).hash;
  }
  const stored = await readStoredCa(store);
  if (!stored) {
    throw new EdgeError(
      "STORE_NOT_FOUND",
      `No CA in state dir "${store.dir}" yet: start the hub once to generate it`,
    );
  }
  return await caHash(stored.cert.der);
}

/**
 * The CA described by `config` without creating anything (for `edge-runtime
 * hub status` while the hub is stopped); undefined when a generated CA does
 * not exist yet.
 */
export async function readHubCa(
  store: Store,
  config: HubConfig["ca"],
): Promise<HubCa | undefined> {
  if (config.mode === "import") return await importCa(config, systemClock);
  const stored = await readStoredCa(store);
  return stored && await hubCa(stored, undefined);
}

async function readStoredCa(
  store: Store,
): Promise<CertificateIssuer | undefined> {
  let issuer: CertificateIssuer | undefined;
  const got = await store.readUnit(CA_UNIT, {
    validate: async (m) => {
      if (!m.cert || !m.key) throw new Error("expected members cert and key");
      const cert = parseCertificateDer(m.cert);
      const keys = await parsePrivateKeyDer(m.key, { extractable: false });
      await assertKeyMatchesCertificate(keys, cert, "CA certificate");
      issuer = { cert, keys };
    },
  });
  return got ? issuer : undefined;
}

async function readText(path: string, field: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (cause) {
    throw new EdgeError(
      "CONFIG_INVALID",
      `ca.${field}: cannot read "${path}": ${(cause as Error).message}`,
      { cause },
    );
  }
}

async function importCa(
  config: HubConfig["ca"],
  clock: Clock,
): Promise<HubCa> {
  if (!config.certFile || !config.keyFile) {
    throw new EdgeError(
      "CONFIG_INVALID",
      'ca.certFile and ca.keyFile are required when ca.mode is "import"',
    );
  }
  let issuer: CertificateIssuer;
  try {
    const cert = parseCertificate(await readText(config.certFile, "certFile"));
    const keys = await parsePrivateKey(
      await readText(config.keyFile, "keyFile"),
      { extractable: false },
    );
    await assertKeyMatchesCertificate(keys, cert, "ca.certFile");
    if (!cert.isCa || !cert.keyUsages.includes("keyCertSign")) {
      throw new EdgeError(
        "CONFIG_INVALID",
        `ca.certFile: "${cert.subject}" is not a CA allowed to sign certificates`,
      );
    }
    issuer = { cert, keys };
  } catch (err) {
    if (err instanceof EdgeError && err.code === "CONFIG_INVALID") throw err;
    throw new EdgeError(
      "CONFIG_INVALID",
      `ca: cannot use the imported CA: ${(err as Error).message}`,
      { cause: err },
    );
  }
  let root: Certificate | undefined;
  if (config.offlineRoot) {
    root = parseCertificate(
      await readText(config.offlineRoot.certFile, "offlineRoot.certFile"),
    );
    try {
      // The chain rules judge a leaf's keyUsage for TLS, which a CA's
      // (keyCertSign, cRLSign) never allows: verify a throwaway leaf issued
      // by the imported CA instead, through it to the root.
      const probe = await generateKeyPair();
      const leaf = await issueCertificate({
        issuer,
        subjectPublicKey: probe.publicKey,
        profile: "leaf",
        subject: { CN: "offline root check" },
        ttlMs: 60_000,
        clock,
      });
      await verifyChain(leaf, [issuer.cert], [root], { clock });
    } catch (cause) {
      throw new EdgeError(
        "CONFIG_INVALID",
        `ca.offlineRoot: the imported CA does not chain to it: ${
          (cause as Error).message
        }`,
        { cause },
      );
    }
  }
  return await hubCa(issuer, root);
}

async function hubCa(
  issuer: CertificateIssuer,
  root: Certificate | undefined,
): Promise<HubCa> {
  const anchor = root ?? issuer.cert;
  return {
    issuer,
    root: anchor,
    intermediates: root ? [issuer.cert] : [],
    hash: await caHash(anchor.der),
  };
}
