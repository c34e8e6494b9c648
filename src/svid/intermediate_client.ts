/**
 * Obtains the node intermediate CA from the hub and keeps it renewed.
 *
 * Contract with the hub (docs/hub.md): `POST /node-ca.crt` on the hub's
 * HTTPS endpoint, mTLS with the node certificate, header `NodeName`, body =
 * DER PKCS#10 CSR of a fresh P-256 CA key, answer = DER certificate(s):
 * cA, pathLen 0, URI name constraint = the trust domain, signed by the
 * hub CA, followed by the hub's own intermediates when its CA is two-tier
 * (`ca.offlineRoot`). The answer is checked (key matches, CA with pathLen
 * 0, chains through those intermediates to the node's trust bundle, all
 * valid now) before use; then stored (unit `workload-intermediate`, the
 * hub intermediates included: SVID chains carry them) and published to an
 * {@link IntermediateHolder}.
 * Renewed at half its lifetime; failures retried with backoff; while the
 * hub is unreachable the stored one keeps being used until it expires.
 * @module
 */
import { type Clock, systemClock } from "../clock.ts";
import { EdgeError } from "../errors.ts";
import { type Logger, nullLogger } from "../log/mod.ts";
import {
  assertKeyMatchesCertificate,
  type Certificate,
  createCsr,
  encodePrivateKeyPkcs8Der,
  generateKeyPair,
  parseCertificateChain,
  parseCertificateChainDer,
  parseCertificateDer,
  parsePrivateKeyDer,
  verifyCertificateSignature,
} from "../pki/mod.ts";
import type { Store } from "../store/mod.ts";
import { bytesEqual, concat } from "../bytes.ts";
import { x509BundleFromCertificates } from "../bundle/mod.ts";
import type { IntermediateHolder, NodeIntermediate } from "./intermediate.ts";
import { retryDelay } from "./schedule.ts";

/** Store unit of the node intermediate (key, cert, bundle, upstream). */
export const INTERMEDIATE_UNIT = "workload-intermediate";

/** The node's mTLS credentials (PEM), as the identity lifecycle provides them. */
export interface NodeTlsCredentials {
  certChainPem: string;
  keyPem: string;
  /** Trust bundle (hub CA roots). */
  bundlePem: string;
}

/** Options of {@link requestNodeIntermediate}. */
export interface RequestIntermediateOptions {
  /** Hub HTTPS base URL, e.g. `https://127.0.0.1:10002`. */
  hubUrl: string;
  /** This node's name (the `NodeName` header; must match its certificate). */
  nodeName: string;
  trustDomain: string;
  node: NodeTlsCredentials;
  /**
   * Requested lifetime (`workloadApi.intermediateTtl`), sent as the
   * `RequestedTtl` header in seconds; the hub caps it at its own limit.
   * @default the hub's limit
   */
  ttlMs?: number;
  /** @default 30_000 */
  timeoutMs?: number;
  /** @default systemClock */
  clock?: Clock;
}

/** Ask the hub for a node intermediate (one round trip) and check the answer. */
export async function requestNodeIntermediate(
  o: RequestIntermediateOptions,
): Promise<NodeIntermediate> {
  const keys = await generateKeyPair(true);
  const csr = await createCsr({
    keys,
    subject: { CN: "edge-runtime node CA" },
    uris: [`spiffe://${o.trustDomain}`],
    ca: { pathLength: 0 },
  });
  // The hub answers with the intermediate, then any hub intermediates.
  const [cert, ...upstream] = parseCertificateChainDer(await post(o, csr));
  const roots = parseCertificateChain(o.node.bundlePem);
  await assertKeyMatchesCertificate(keys, cert, "node intermediate");
  if (!cert.isCa || cert.pathLength !== 0) {
    throw failed("node intermediate: expected a CA certificate with pathLen 0");
  }
  await checkIssuers(cert, upstream, roots, o.clock ?? systemClock);
  return {
    cert,
    keys,
    bundle: x509BundleFromCertificates(o.trustDomain, roots),
    ...(upstream.length > 0 ? { upstreamChain: upstream } : {}),
  };
}

const failed = (message: string) =>
  new EdgeError("INTERMEDIATE_FAILED", message);

/**
 * The node intermediate is a CA (keyCertSign only), so it is checked as the
 * issuer it will be: every certificate from it up is valid now and signed
 * by the next — `upstream` in order (the hub's intermediates: CAs whose
 * pathLen allows the CAs below them), the last by a bundle root. Throws
 * `INTERMEDIATE_FAILED` naming the certificate at fault. Exported for tests.
 */
export async function checkIssuers(
  cert: Certificate,
  upstream: readonly Certificate[],
  roots: readonly Certificate[],
  clock: Clock,
): Promise<void> {
  const now = clock.now();
  const path = [cert, ...upstream];
  for (const [i, c] of path.entries()) {
    const what = i === 0 ? "node intermediate" : `hub intermediate ${i}`;
    if (now < c.notBefore.getTime() || now >= c.notAfter.getTime()) {
      throw failed(
        `${what} is not valid now (${c.notBefore.toISOString()} – ${c.notAfter.toISOString()})`,
      );
    }
    if (
      i > 0 && (!c.isCa || (c.pathLength !== undefined && c.pathLength < i))
    ) {
      throw failed(
        `${what} (${c.subject}) cannot issue the ${i} CA(s) below it: ` +
          (c.isCa ? `pathLen ${c.pathLength}` : "not a CA"),
      );
    }
    const issuers = i + 1 < path.length ? [path[i + 1]] : roots;
    let signed = false;
    for (const issuer of issuers) {
      if (
        issuer.subject === c.issuer &&
        await verifyCertificateSignature(c, issuer)
      ) {
        signed = true;
        break;
      }
    }
    if (!signed) {
      throw failed(
        i + 1 < path.length
          ? `${what} is not signed by the hub intermediate that follows it`
          : `${what} is not signed by a CA of the trust bundle`,
      );
    }
  }
}

async function post(
  o: RequestIntermediateOptions,
  body: Uint8Array,
): Promise<Uint8Array> {
  // Loaded on the first request: the HTTPS client (node:https) is not needed
  // to serve the Workload API from a stored intermediate.
  const { bodyText, httpsRequest } = await import("../net/https_client.ts");
  const res = await httpsRequest({
    url: new URL("/node-ca.crt", o.hubUrl).href,
    method: "POST",
    headers: {
      "Content-Type": "application/pkcs10",
      NodeName: o.nodeName,
      ...(o.ttlMs === undefined
        ? {}
        : { RequestedTtl: String(Math.max(1, Math.floor(o.ttlMs / 1000))) }),
    },
    body,
    ca: o.node.bundlePem,
    cert: o.node.certChainPem,
    key: o.node.keyPem,
    timeoutMs: o.timeoutMs ?? 30_000,
    what: "hub",
  }).catch((cause) => {
    throw new EdgeError("INTERMEDIATE_FAILED", cause.message, { cause });
  });
  if (res.status !== 200) {
    throw new EdgeError(
      "INTERMEDIATE_FAILED",
      `hub refused the node intermediate request: HTTP ${res.status}: ${
        bodyText(res)
      }`,
    );
  }
  return res.body;
}

/** Options of {@link IntermediateRenewer}. */
export interface IntermediateRenewerOptions
  extends Omit<RequestIntermediateOptions, "node"> {
  /** Current node credentials (undefined before enrollment). */
  node: () => NodeTlsCredentials | undefined;
  holder: IntermediateHolder;
  store: Store;
  /** @default nullLogger */
  logger?: Logger;
  /** Replaceable for tests. @default requestNodeIntermediate */
  request?: typeof requestNodeIntermediate;
}

/**
 * Loads the stored intermediate, then renews it at half-life while running,
 * and at once when the node's trust bundle no longer holds the roots it was
 * issued under (the node re-enrolled under a new hub CA: SVIDs from the old
 * intermediate would not verify against the new bundle).
 */
export class IntermediateRenewer {
  #o: IntermediateRenewerOptions;
  #stop = new AbortController();
  #wake = new AbortController();
  #running?: Promise<void>;

  constructor(options: IntermediateRenewerOptions) {
    this.#o = options;
  }

  /** Load the stored intermediate (if any) into the holder and start renewing. */
  async start(): Promise<void> {
    const got = await this.#o.store.readUnit(INTERMEDIATE_UNIT);
    if (got) {
      const m = got.members;
      const cert = parseCertificateDer(m.cert);
      const upstream = m.upstream ? parseCertificateChainDer(m.upstream) : [];
      this.#o.holder.set({
        cert,
        keys: await parsePrivateKeyDer(m.key),
        bundle: x509BundleFromCertificates(
          this.#o.trustDomain,
          parseCertificateChain(new TextDecoder().decode(m.bundle)),
        ),
        ...(upstream.length > 0 ? { upstreamChain: upstream } : {}),
      });
    }
    this.#running = this.#loop();
  }

  /**
   * The node's credentials changed (renewal or re-enrollment): look again
   * now whether the intermediate still belongs to the node's bundle.
   */
  nodeChanged(): void {
    this.#wake.abort();
  }

  /** Stop renewing (the holder keeps its value). */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#running?.catch(() => {});
  }

  async #loop(): Promise<void> {
    const clock = this.#o.clock ?? systemClock;
    const logger = this.#o.logger ?? nullLogger;
    let failures = 0;
    while (!this.#stop.signal.aborted) {
      // A change from here on wakes the sleep below.
      if (this.#wake.signal.aborted) this.#wake = new AbortController();
      const cur = this.#o.holder.current();
      const now = clock.now();
      const node = this.#o.node();
      const due = cur === undefined || (node && !sameRoots(cur, node))
        ? now
        : cur.cert.notBefore.getTime() +
          (cur.cert.notAfter.getTime() - cur.cert.notBefore.getTime()) / 2;
      let wait = due - now;
      if (wait <= 0 && node) {
        try {
          const next = await (this.#o.request ?? requestNodeIntermediate)({
            ...this.#o,
            node,
          });
          await this.#o.store.writeUnit(INTERMEDIATE_UNIT, {
            key: await encodePrivateKeyPkcs8Der(next.keys.privateKey),
            cert: next.cert.der,
            bundle: new TextEncoder().encode(node.bundlePem),
            ...(next.upstreamChain?.length
              ? { upstream: concat(...next.upstreamChain.map((c) => c.der)) }
              : {}),
          });
          this.#o.holder.set(next);
          failures = 0;
          logger.info("node intermediate renewed", {
            notAfter: next.cert.notAfter.toISOString(),
          });
          continue;
        } catch (err) {
          wait = retryDelay(++failures);
          logger.warn("node intermediate renewal failed; will retry", {
            attempt: failures,
            error: String((err as Error).message),
          });
        }
      } else if (!node) wait = Math.max(wait, retryDelay(1));
      await clock.sleep(
        Math.max(0, wait),
        AbortSignal.any([this.#stop.signal, this.#wake.signal]),
      ).catch(() => {});
    }
  }
}

/** True when `node`'s bundle holds exactly the roots `cur` was issued under. */
function sameRoots(cur: NodeIntermediate, node: NodeTlsCredentials): boolean {
  const roots = parseCertificateChain(node.bundlePem);
  const had = cur.bundle.authorities;
  return roots.length === had.length &&
    roots.every((r, i) => bytesEqual(r.der, had[i].der));
}
