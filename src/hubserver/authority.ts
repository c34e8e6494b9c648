/**
 * The hub's authority: decides every enrollment, renewal, node intermediate,
 * token and lock/unlock/revoke, records each decision in the audit log, and
 * never touches HTTP (the enrollment and admin APIs decode, ask, render).
 * Refusals are {@link EdgeError}s with `HUB_*` codes (see `http_status.ts`)
 * and leave the state untouched.
 *
 * An enrollment is made durable by ONE registry write: the node record with
 * the new certificate and the join token's id (`usedTokens`). A crash before
 * that write completes leaves no trace (the client got no certificate, the
 * token stays usable); after it, the token is used for good, since the
 * token's use is read back from the registry on start-up and checked again
 * in the node record itself. Token revocation and enrollment of the same
 * node are serialized (per-node lock), so a token is either revoked or used,
 * never both.
 *
 * @example
 * ```ts
 * const { der } = await authority.issueNodeCertificate({
 *   nodeName: "pi-01", csrDer, bearerToken: jwt, source: "10.0.0.7",
 * });
 * ```
 * @module
 */
import { type Clock, systemClock } from "../clock.ts";
import { EdgeError, isEdgeError } from "../errors.ts";
import { type Logger, nullLogger } from "../log/mod.ts";
import { type Random, secureRandom } from "../random.ts";
import {
  type Certificate,
  type CertificateRequest,
  ChainError,
  issueCertificate,
  parseCertificateDer,
  parseCsrDer,
  verifyChain,
} from "../pki/mod.ts";
import type { AuditAction, AuditEvent, AuditLog } from "./audit.ts";
import type { HubCa } from "./ca.ts";
import type { HubCrl } from "./crl.ts";
import {
  checkNodeCsrSubject,
  NODE_ORGANIZATION,
  nodeFromSpiffeId,
  nodeSpiffeId,
  parseExtKeyUsagesHeader,
} from "./kubeedge.ts";
import {
  type IssuedCert,
  isValidNodeName,
  type NodeRecord,
  type NodeRegistry,
} from "./registry.ts";
import type { SessionRegistry } from "./sessions.ts";
import type { JoinTokens, TokenRecord, TokenView } from "./tokens.ts";

/** Policy knobs (from the hub config), durations in ms. */
export interface AuthorityPolicy {
  trustDomain: string;
  nodeCertTtlMs: number;
  /** How long after expiry a node may still renew (0 = never). */
  renewGraceMs: number;
  intermediateTtlMs: number;
  /** DNS subtrees node intermediates may sign (empty: none). */
  intermediateDnsDomains?: readonly string[];
  defaultTokenTtlMs: number;
}

/** Everything the authority works with. */
export interface AuthorityOptions {
  ca: HubCa;
  tokens: JoinTokens;
  registry: NodeRegistry;
  crl: HubCrl;
  audit: AuditLog;
  policy: AuthorityPolicy;
  /** Live hub-link sessions to close on lock/revoke (issue #7 plugs in here). */
  sessions?: SessionRegistry;
  clock?: Clock;
  random?: Random;
  logger?: Logger;
}

/** A request for a node certificate (enrollment by token or renewal by certificate). */
export interface NodeCertificateRequest {
  /** `NodeName` header. */
  nodeName?: string | null;
  /** DER CSR (the request body). */
  csrDer: Uint8Array;
  /** `ExtKeyUsages` header, raw. */
  extKeyUsages?: string | null;
  /** Bearer token from `Authorization` (JWT or `<caHash>.<jwt>`). */
  bearerToken?: string;
  /** DER chain the client presented over TLS, leaf first. */
  clientChain?: readonly Uint8Array[];
  /** Remote address, for audit and rate limits. */
  source: string;
  /**
   * Node intermediates only: `RequestedTtl` header, raw (seconds). The hub
   * issues min(requested, enroll.intermediateTtl).
   */
  requestedTtl?: string | null;
}

/** An issued certificate. */
export interface IssuedCertificate {
  cert: Certificate;
  /** DER of the certificate followed by the hub's intermediates (two-tier CA). */
  chainDer: Uint8Array[];
}

/** A node authenticated by its client certificate. */
export interface AuthenticatedNode {
  node: string;
  cert: Certificate;
  record: NodeRecord;
}

/** Context filled in while a request is handled, for its audit line. */
type Ctx = Omit<AuditEvent, "action" | "outcome">;

/** Keep issued-cert entries this long after expiry (then they need no CRL entry). */
const KEEP_EXPIRED_MS = 86_400_000;

/** A node's requested intermediate lifetime (seconds, text), capped. */
function intermediateTtl(
  requested: string | null | undefined,
  capMs: number,
): number {
  if (requested === undefined || requested === null) return capMs;
  if (!/^[1-9][0-9]{0,9}$/.test(requested.trim())) {
    throw bad(
      `RequestedTtl header: expected a whole number of seconds, got "${
        requested.slice(0, 32)
      }"`,
    );
  }
  return Math.min(Number(requested.trim()) * 1000, capMs);
}

function bad(message: string): EdgeError {
  return new EdgeError("HUB_BAD_REQUEST", message);
}
function unauthorized(message: string): EdgeError {
  return new EdgeError("HUB_UNAUTHORIZED", message);
}

/** The hub's decision maker. */
export class Authority {
  readonly #o: AuthorityOptions;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #log: Logger;
  /** Per-node serialization of registry read-modify-write. */
  readonly #nodeLocks = new Map<string, Promise<unknown>>();
  /** Token uses recorded in the registry, loaded into `tokens`. */
  readonly #ready: Promise<void>;

  /**
   * Starts loading the token uses recorded in the registry into `tokens`;
   * every decision waits for it. (With the embedded registry this is done
   * within the same tick: its records are already in memory.)
   */
  constructor(options: AuthorityOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? secureRandom;
    this.#log = options.logger ?? nullLogger;
    this.#ready = this.#loadTokenUses();
    // Surfaced by #guard; this only keeps it from being unhandled meanwhile.
    this.#ready.catch(() => {});
  }

  /** The CA certificate published at `/ca.crt` (DER). */
  get caDer(): Uint8Array {
    return this.#o.ca.root.der;
  }

  /** The KubeEdge CA hash. */
  get caHash(): string {
    return this.#o.ca.hash;
  }

  /** The current CRL (DER). */
  get crlDer(): Uint8Array {
    return this.#o.crl.der;
  }

  /**
   * Issue a node certificate: first enrollment with a join token
   * (`bearerToken`), or renewal with the node's current certificate
   * (`clientChain`, also within the renewal grace after expiry).
   */
  issueNodeCertificate(
    req: NodeCertificateRequest,
  ): Promise<IssuedCertificate> {
    const action: AuditAction = req.bearerToken ? "enroll" : "renew";
    return this.#guard(action, { source: req.source }, async (ctx, first) => {
      const node = this.#nodeName(req.nodeName, ctx);
      if (req.bearerToken) return await this.#enroll(req, node, ctx, first);
      if (req.clientChain?.length) return await this.#renew(req, node, ctx);
      throw unauthorized(
        "no join token (Authorization: Bearer) and no client certificate",
      );
    });
  }

  /**
   * Sign a node intermediate CA (for offline rotation): the node
   * authenticates with its current certificate; the CA gets cA=true,
   * pathLen 0, keyCertSign and a URI name constraint permitting only the
   * trust domain, lifetime `intermediateTtlMs` capped at the hub CA's.
   */
  signNodeIntermediate(
    req: Omit<NodeCertificateRequest, "bearerToken" | "extKeyUsages">,
  ): Promise<IssuedCertificate> {
    return this.#guard("intermediate", { source: req.source }, async (ctx) => {
      const node = this.#nodeName(req.nodeName, ctx);
      const auth = await this.authenticateNode(req.clientChain ?? [], {
        node,
        ctx,
      });
      const ttlMs = intermediateTtl(
        req.requestedTtl,
        this.#o.policy.intermediateTtlMs,
      );
      const csr = await this.#csr(req.csrDer);
      const { trustDomain, intermediateDnsDomains } = this.#o.policy;
      return await this.#withNode(node, async () => {
        const cert = await issueCertificate({
          issuer: this.#o.ca.issuer,
          subjectPublicKey: csr.publicKey,
          profile: "ca",
          subject: { O: NODE_ORGANIZATION, CN: `node-ca:${node}` },
          uris: [nodeSpiffeId(trustDomain, node)],
          pathLength: 0,
          keyUsages: ["keyCertSign"],
          permittedUriDomains: [trustDomain],
          // Without DNS/IP subtrees the node CA could sign any host name or
          // address (RFC 5280 leaves unconstrained types open): permit only
          // the configured DNS subtrees, or the reserved ".invalid", and no
          // IP address.
          permittedDnsDomains: intermediateDnsDomains?.length
            ? intermediateDnsDomains
            : ["invalid"],
          permittedIpRanges: ["0.0.0.0/32", "::/128"],
          ttlMs,
          clock: this.#clock,
          random: this.#random,
        });
        ctx.serial = cert.serialHex;
        await this.#recordIssued(auth.record, cert, "intermediate", req.source);
        return this.#issued(cert);
      });
    });
  }

  /**
   * Authenticate a node by the certificate chain it presented (renewal,
   * intermediates, and the hub link's session check): chains to the hub CA
   * for clientAuth, names `node` (when given) in its SPIFFE ID, is not on
   * the CRL, and the node is known, not locked and not revoked. With
   * `graceMs`, a certificate expired less than that long ago is accepted.
   * Throws `HUB_UNAUTHORIZED` or `HUB_FORBIDDEN` (locked).
   */
  async authenticateNode(
    chain: readonly Uint8Array[],
    options: { node?: string; graceMs?: number; ctx?: Ctx } = {},
  ): Promise<AuthenticatedNode> {
    if (chain.length === 0) throw unauthorized("no client certificate");
    let cert: Certificate;
    try {
      cert = parseCertificateDer(chain[0]);
    } catch {
      throw unauthorized("client certificate: cannot parse it");
    }
    if (options.ctx) options.ctx.serial = cert.serialHex;
    const now = this.#clock.now();
    const expiredFor = now - cert.notAfter.getTime();
    const grace = options.graceMs ?? 0;
    if (expiredFor > 0 && expiredFor > grace) {
      throw unauthorized(
        `client certificate expired at ${cert.notAfter.toISOString()}` +
          (grace > 0 ? " (beyond the renewal grace)" : ""),
      );
    }
    // Within the grace: verify the chain as of just before expiry.
    const at = expiredFor > 0 ? cert.notAfter.getTime() - 1000 : now;
    try {
      await verifyChain(
        chain[0],
        // Only the hub's own intermediates: a chain through a node's
        // intermediate CA (which may sign any name in the trust domain)
        // must never authenticate a node.
        [...this.#o.ca.intermediates],
        [this.#o.ca.root],
        { at, purpose: "clientAuth", maxClockSkewMs: 0 },
      );
    } catch (err) {
      const why = err instanceof ChainError ? err.message : "invalid chain";
      throw unauthorized(`client certificate: ${why}`);
    }
    if (cert.isCa) throw unauthorized("client certificate is a CA");
    const names = cert.uris
      .map((u) => nodeFromSpiffeId(this.#o.policy.trustDomain, u))
      .filter((n): n is string => n !== undefined);
    if (names.length !== 1) {
      throw unauthorized("client certificate does not name a node");
    }
    const node = names[0];
    if (options.node !== undefined && node !== options.node) {
      throw unauthorized(
        `client certificate is for node "${node}", not "${options.node}"`,
      );
    }
    if (this.#o.crl.isRevoked(cert.serialHex)) {
      throw unauthorized("client certificate is revoked");
    }
    const record = await this.#o.registry.get(node);
    if (!record) throw unauthorized(`node "${node}" is not registered`);
    if (record.state === "revoked") {
      throw unauthorized(
        `node "${node}" is revoked: enroll it with a new token`,
      );
    }
    if (record.state === "locked") {
      throw new EdgeError("HUB_FORBIDDEN", `node "${node}" is locked`);
    }
    return { node, cert, record };
  }

  // ---- tokens -------------------------------------------------------------

  /** Create a join token for `node` (lifetime `ttlMs`, default from policy). */
  createToken(
    options: { node: string; ttlMs?: number; source?: string },
  ): Promise<{ record: TokenRecord; token: string }> {
    return this.#guard("token.create", {
      node: options.node,
      source: options.source ?? "admin",
    }, async (ctx) => {
      this.#nodeName(options.node, ctx);
      const ttlMs = options.ttlMs ?? this.#o.policy.defaultTokenTtlMs;
      if (!(ttlMs > 0)) throw bad(`ttl: expected a positive duration`);
      const out = await this.#o.tokens.create({
        node: options.node,
        ttlMs,
        caHash: this.#o.ca.hash,
      });
      ctx.tokenId = out.record.id;
      return out;
    });
  }

  /** All join tokens (never the token strings). */
  listTokens(): TokenView[] {
    return this.#o.tokens.list();
  }

  /**
   * Revoke join token `id` (serialized with enrollments of its node: an
   * enrollment in progress either completes first, and the revocation is
   * refused as `HUB_CONFLICT`, or is refused itself).
   */
  revokeToken(id: string, source = "admin"): Promise<TokenRecord> {
    return this.#guard("token.revoke", { source, tokenId: id }, async (ctx) => {
      const node = this.#o.tokens.get(id)?.node;
      const revoke = () => this.#o.tokens.revoke(id);
      const rec = node ? await this.#withNode(node, revoke) : await revoke();
      ctx.node = rec.node;
      return rec;
    });
  }

  // ---- nodes --------------------------------------------------------------

  /** All registered nodes. */
  listNodes(): Promise<NodeRecord[]> {
    return this.#o.registry.list();
  }

  /** Lock `node`: renewals, intermediates and hub sessions refused until unlock. */
  lockNode(node: string, source = "admin"): Promise<NodeRecord> {
    return this.#changeNode("node.lock", node, source, async (rec) => {
      if (rec.state === "revoked") {
        throw new EdgeError("HUB_CONFLICT", `node "${node}" is revoked`);
      }
      if (rec.state === "locked") return rec;
      const next = { ...rec, state: "locked" as const, lockedAt: this.#now() };
      await this.#o.registry.put(next);
      return next;
    }, true);
  }

  /** Unlock a locked `node`. */
  unlockNode(node: string, source = "admin"): Promise<NodeRecord> {
    return this.#changeNode("node.unlock", node, source, async (rec) => {
      if (rec.state === "revoked") {
        throw new EdgeError(
          "HUB_CONFLICT",
          `node "${node}" is revoked and cannot be unlocked: create a new token`,
        );
      }
      if (rec.state === "active") return rec;
      const next: NodeRecord = { ...rec, state: "active" };
      delete next.lockedAt;
      await this.#o.registry.put(next);
      return next;
    }, false);
  }

  /**
   * Revoke `node`: its unexpired certificates go on the CRL (regenerated),
   * its unused join tokens are revoked, its sessions closed; it can only
   * come back with a new token.
   */
  revokeNode(node: string, source = "admin"): Promise<NodeRecord> {
    return this.#changeNode("node.revoke", node, source, async (rec) => {
      const now = this.#now();
      const live = rec.certs.filter((c) => c.notAfter > now);
      await this.#o.crl.revoke(live.map((c) => ({
        serial: c.serial,
        node,
        revokedAt: now,
        notAfter: c.notAfter,
      })));
      await this.#o.tokens.revokeForNode(node);
      const next: NodeRecord = { ...rec, state: "revoked", revokedAt: now };
      await this.#o.registry.put(next);
      return next;
    }, true);
  }

  // ---- internals ----------------------------------------------------------

  async #enroll(
    req: NodeCertificateRequest,
    node: string,
    ctx: Ctx,
    auditFirst: AuditEvent[],
  ): Promise<IssuedCertificate> {
    let reservation;
    try {
      reservation = await this.#o.tokens.reserve(req.bearerToken!, node);
    } catch (err) {
      ctx.tokenId = (err as { tokenId?: string }).tokenId;
      throw err;
    }
    const tokenId = reservation.record.id;
    ctx.tokenId = tokenId;
    try {
      const csr = await this.#csr(req.csrDer);
      checkNodeCsrSubject(csr, node);
      const ekus = parseExtKeyUsagesHeader(req.extKeyUsages);
      return await this.#withNode(node, async () => {
        const existing = await this.#o.registry.get(node);
        // The node record is where the token's use is durable; and the
        // token may have been revoked while this request waited.
        const used = existing?.usedTokens?.find((t) => t.id === tokenId);
        if (used) this.#o.tokens.noteUsed(tokenId, used.usedAt);
        this.#o.tokens.assertUsable(tokenId);
        if (existing?.state === "locked") {
          throw new EdgeError(
            "HUB_FORBIDDEN",
            `node "${node}" is locked: unlock it before enrolling`,
          );
        }
        const cert = await this.#issueNodeCert(csr, node, ekus);
        ctx.serial = cert.serialHex;
        const now = this.#now();
        const base: NodeRecord = existing ? { ...existing, state: "active" } : {
          name: node,
          state: "active",
          enrolledAt: now,
          lastSeen: now,
          certs: [],
        };
        delete base.revokedAt;
        // ONE durable write: the certificate and the token's use together,
        // before the certificate is returned. The token.use line goes out
        // with the request's own audit line (see #guard).
        base.usedTokens = [...base.usedTokens ?? [], {
          id: tokenId,
          usedAt: now,
        }];
        await this.#recordIssued(base, cert, "node", req.source);
        this.#o.tokens.noteUsed(tokenId, now);
        auditFirst.push({ action: "token.use", outcome: "ok", ...ctx, node });
        return this.#issued(cert);
      });
    } finally {
      reservation.release();
    }
  }

  async #renew(
    req: NodeCertificateRequest,
    node: string,
    ctx: Ctx,
  ): Promise<IssuedCertificate> {
    await this.authenticateNode(req.clientChain!, {
      node,
      graceMs: this.#o.policy.renewGraceMs,
      ctx,
    });
    const csr = await this.#csr(req.csrDer);
    checkNodeCsrSubject(csr, node);
    const ekus = parseExtKeyUsagesHeader(req.extKeyUsages);
    return await this.#withNode(node, async () => {
      // Re-read under the node lock: a lock/revoke may have just happened.
      const record = await this.#o.registry.get(node);
      if (!record || record.state !== "active") {
        throw new EdgeError("HUB_FORBIDDEN", `node "${node}" is not active`);
      }
      const cert = await this.#issueNodeCert(csr, node, ekus);
      ctx.serial = cert.serialHex;
      await this.#recordIssued(record, cert, "node", req.source);
      return this.#issued(cert);
    });
  }

  async #issueNodeCert(
    csr: CertificateRequest,
    node: string,
    ekus: ReturnType<typeof parseExtKeyUsagesHeader>,
  ): Promise<Certificate> {
    // X509-SVID §4.4: a leaf with a SPIFFE ID and an EKU carries both
    // serverAuth and clientAuth, so a request for either gets both.
    void ekus;
    return await issueCertificate({
      issuer: this.#o.ca.issuer,
      subjectPublicKey: csr.publicKey,
      profile: "leaf",
      subject: { O: NODE_ORGANIZATION, CN: `system:node:${node}` },
      uris: [nodeSpiffeId(this.#o.policy.trustDomain, node)],
      extKeyUsages: ["clientAuth", "serverAuth"],
      keyUsages: ["digitalSignature", "keyEncipherment"],
      ttlMs: this.#o.policy.nodeCertTtlMs,
      clock: this.#clock,
      random: this.#random,
    });
  }

  async #recordIssued(
    record: NodeRecord,
    cert: Certificate,
    kind: IssuedCert["kind"],
    source: string,
  ): Promise<void> {
    const now = this.#now();
    const certs = record.certs.filter((c) =>
      c.notAfter > now - KEEP_EXPIRED_MS
    );
    certs.push({
      serial: cert.serialHex,
      kind,
      issuedAt: now,
      notAfter: cert.notAfter.getTime(),
    });
    await this.#o.registry.put({
      ...record,
      lastSeen: now,
      lastSource: source,
      certs,
    });
  }

  #issued(cert: Certificate): IssuedCertificate {
    return {
      cert,
      chainDer: [cert.der, ...this.#o.ca.intermediates.map((c) => c.der)],
    };
  }

  async #csr(der: Uint8Array): Promise<CertificateRequest> {
    if (der.length === 0) {
      throw bad("request body: expected a DER CSR, got nothing");
    }
    try {
      return await parseCsrDer(der);
    } catch (err) {
      throw bad(`request body: ${(err as Error).message}`);
    }
  }

  #nodeName(raw: string | null | undefined, ctx: Ctx): string {
    if (!raw) throw bad("NodeName header: missing");
    if (!isValidNodeName(raw)) {
      throw bad(
        `NodeName header: expected a lowercase DNS name (RFC 1123), got ${
          JSON.stringify(raw.slice(0, 100))
        }`,
      );
    }
    ctx.node = raw;
    return raw;
  }

  #changeNode(
    action: AuditAction,
    node: string,
    source: string,
    change: (rec: NodeRecord) => Promise<NodeRecord>,
    closeSessions: boolean,
  ): Promise<NodeRecord> {
    return this.#guard(action, { node, source }, async () => {
      const next = await this.#withNode(node, async () => {
        const rec = await this.#o.registry.get(node);
        if (!rec) throw new EdgeError("HUB_NOT_FOUND", `no node "${node}"`);
        return await change(rec);
      });
      if (closeSessions && this.#o.sessions) {
        const closed = await this.#o.sessions.closeNode(
          node,
          `node ${next.state}`,
        );
        if (closed > 0) {
          this.#log.info("closed live sessions", { node, closed });
        }
      }
      return next;
    });
  }

  /** Feed the token uses recorded in node records to `tokens`. */
  async #loadTokenUses(): Promise<void> {
    for (const rec of await this.#o.registry.list()) {
      for (const t of rec.usedTokens ?? []) {
        this.#o.tokens.noteUsed(t.id, t.usedAt);
      }
    }
  }

  /** Run `fn` exclusively for `node` (registry read-modify-write). */
  async #withNode<T>(node: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#nodeLocks.get(node) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.then(() => {}, () => {});
    this.#nodeLocks.set(node, tail);
    try {
      return await run;
    } finally {
      if (this.#nodeLocks.get(node) === tail) this.#nodeLocks.delete(node);
    }
  }

  /**
   * Run `fn` and record its outcome. Events `fn` pushes to its second
   * argument are recorded just before the outcome, in the same durable
   * append (one fsync per request).
   */
  async #guard<T>(
    action: AuditAction,
    initial: Ctx,
    fn: (ctx: Ctx, auditFirst: AuditEvent[]) => Promise<T>,
  ): Promise<T> {
    const ctx: Ctx = { ...initial };
    const first: AuditEvent[] = [];
    let result: T;
    try {
      await this.#ready;
      result = await fn(ctx, first);
    } catch (err) {
      const known = isEdgeError(err) && err.code.startsWith("HUB_");
      if (!known) {
        this.#log.error("request failed", { action, error: String(err) });
      }
      await this.#o.audit.recordAll([...first, {
        action,
        outcome: "refused",
        ...ctx,
        reason: known ? (err as Error).message : "internal error",
      }]).catch((e) =>
        this.#log.error("audit append failed", { error: String(e) })
      );
      throw err;
    }
    await this.#o.audit.recordAll([...first, {
      action,
      outcome: "ok",
      ...ctx,
    }]);
    return result;
  }

  #now(): number {
    return this.#clock.now();
  }
}
