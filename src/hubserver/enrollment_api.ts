/**
 * The enrollment API (KubeEdge cloudcore compatible), as a hono app: decode
 * the request, ask the {@link Authority}, render. Served over HTTPS with
 * client certificates by `https_server.ts`, which passes the peer's chain
 * and address in the env.
 *
 * - `GET /ca.crt` → DER CA certificate
 * - `GET|POST /edge.crt` (DER CSR body; `Authorization: Bearer <jwt>` or a
 *   client certificate; `NodeName`; optional `ExtKeyUsages`) → DER certificate
 * - `GET|POST /node-ca.crt` (DER CSR body; client certificate; `NodeName`)
 *   → DER node intermediate CA
 * - `GET /crl` → DER CRL
 *
 * Errors are plain text; rate limits answer 429 with `Retry-After`.
 * @module
 */
import { Hono } from "hono";
import type { Authority } from "./authority.ts";
import type { AuditLog } from "./audit.ts";
import type { RateLimiter } from "./rate_limit.ts";
import { httpStatusFor, publicMessage, textError } from "./http_status.ts";
import { concat } from "../bytes.ts";
import {
  type RateLimitedEndpoint,
  refusalClass,
  type SigningKind,
  type SigningResult,
} from "./hub_metrics.ts";

/** What the transport passes with each request. */
export interface EnrollmentEnv {
  /** Remote IP address. */
  remoteAddress: string;
  /** DER certificates the client presented over TLS, leaf first (may be empty). */
  peerChain: Uint8Array[];
  /**
   * The request body, already read by the transport (WHATWG `Request`
   * cannot carry a body on GET, which KubeEdge uses); else the request's own.
   */
  body?: Uint8Array;
}

/** Options of {@link createEnrollmentApp}. */
export interface EnrollmentAppOptions {
  authority: Authority;
  audit: AuditLog;
  /** Per source address. */
  perSource: RateLimiter;
  /** Per `NodeName`. */
  perNode: RateLimiter;
  /** Told how each signing request ended (metrics). */
  onResult?: (kind: SigningKind, result: SigningResult) => void;
  /** Told about each rate-limit refusal (metrics). */
  onRateLimited?: (
    endpoint: RateLimitedEndpoint,
    limit: "source" | "node",
  ) => void;
}

/**
 * What a signing request asks for, decided as the authority does: a bearer
 * token at `/edge.crt` is an enrollment, a client certificate a renewal.
 */
export function signingKind(
  path: string,
  hasBearer: boolean,
): SigningKind | undefined {
  if (path === "/node-ca.crt") return "intermediate";
  if (path === "/edge.crt") return hasBearer ? "enroll" : "renew";
  return undefined;
}

const DER = { "content-type": "application/octet-stream" };

/** Build the enrollment app. */
export function createEnrollmentApp(
  options: EnrollmentAppOptions,
): Hono<{ Bindings: EnrollmentEnv }> {
  const { authority, audit } = options;
  const onResult = options.onResult ?? (() => {});
  const app = new Hono<{ Bindings: EnrollmentEnv }>();

  app.get(
    "/ca.crt",
    () => new Response(authority.caDer.slice(), { headers: DER }),
  );
  app.get("/crl", () =>
    new Response(authority.crlDer.slice(), {
      headers: { "content-type": "application/pkix-crl" },
    }));

  // Rate limits on the signing endpoints, per source address and per node.
  for (const path of ["/edge.crt", "/node-ca.crt"] as const) {
    app.use(path, async (c, next) => {
      const source = c.env?.remoteAddress ?? "unknown";
      const node = c.req.header("NodeName") ?? "";
      const bySource = options.perSource.take(source);
      const byNode = bySource.ok && node
        ? options.perNode.take(node)
        : bySource;
      const decision = bySource.ok ? byNode : bySource;
      if (decision.ok) return await next();
      const which = bySource.ok ? "node" : "source address";
      const reason = `rate limit per ${which} exceeded`;
      options.onRateLimited?.(path, bySource.ok ? "node" : "source");
      onResult(
        signingKind(path, bearer(c.req.header("Authorization")) !== undefined)!,
        "rate_limited",
      );
      await audit.record({
        action: path === "/edge.crt" ? "request" : "intermediate",
        outcome: "refused",
        node: node || undefined,
        source,
        status: 429,
        reason,
      });
      return textError(429, `${reason}: retry later`, {
        "retry-after": String(decision.retryAfterSeconds),
      });
    });
  }

  const edgeCrt = async (c: {
    env: EnrollmentEnv;
    req: {
      header(n: string): string | undefined;
      arrayBuffer(): Promise<ArrayBuffer>;
    };
  }) => {
    const bearerToken = bearer(c.req.header("Authorization"));
    const kind = bearerToken ? "enroll" : "renew";
    try {
      const { chainDer } = await authority.issueNodeCertificate({
        nodeName: c.req.header("NodeName"),
        csrDer: c.env?.body ?? new Uint8Array(await c.req.arrayBuffer()),
        extKeyUsages: c.req.header("ExtKeyUsages"),
        bearerToken,
        clientChain: c.env?.peerChain ?? [],
        source: c.env?.remoteAddress ?? "unknown",
      });
      onResult(kind, "ok");
      return new Response(concat(...chainDer).slice(), { headers: DER });
    } catch (err) {
      const status = httpStatusFor(err);
      onResult(kind, refusalClass(status));
      return textError(status, publicMessage(err));
    }
  };
  app.get("/edge.crt", edgeCrt);
  app.post("/edge.crt", edgeCrt);

  const nodeCa = async (c: {
    env: EnrollmentEnv;
    req: {
      header(n: string): string | undefined;
      arrayBuffer(): Promise<ArrayBuffer>;
    };
  }) => {
    try {
      const { chainDer } = await authority.signNodeIntermediate({
        nodeName: c.req.header("NodeName"),
        requestedTtl: c.req.header("RequestedTtl"),
        csrDer: c.env?.body ?? new Uint8Array(await c.req.arrayBuffer()),
        clientChain: c.env?.peerChain ?? [],
        source: c.env?.remoteAddress ?? "unknown",
      });
      onResult("intermediate", "ok");
      return new Response(concat(...chainDer).slice(), { headers: DER });
    } catch (err) {
      const status = httpStatusFor(err);
      onResult("intermediate", refusalClass(status));
      return textError(status, publicMessage(err));
    }
  };
  app.get("/node-ca.crt", nodeCa);
  app.post("/node-ca.crt", nodeCa);

  app.notFound(() => textError(404, "not found"));
  app.onError((_err) => textError(500, "internal error (see the hub logs)"));
  return app;
}

function bearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : undefined;
}
