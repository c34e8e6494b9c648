/**
 * The local admin API (hono), served on a Unix socket and protected by a
 * bearer credential kept in the state dir (unit `admin-credential`, 0600):
 * tokens and the node registry for the `token` and `node` commands.
 *
 * - `GET /v1/ca` → `{hash}`
 * - `POST /v1/tokens` `{node, ttl?}` → 201 `{id, node, expiresAt, token}`
 * - `GET /v1/tokens` → `{tokens}`; `DELETE /v1/tokens/:id` → `{token}`
 * - `GET /v1/nodes` → `{nodes}`
 * - `POST /v1/nodes/:name/lock|unlock|revoke` → `{node}`
 * - `POST /v1/nodes/:name/messages` `{resource, content, operation?, group?,
 *   destination?}` → 202 `{msg_id}` (hub link; resent until the node ACKs)
 * - `PUT /v1/nodes/:name/entries` `{entries}` / `GET` → `{entries}`
 *   (registration entries pushed to the node's Workload API)
 *
 * Errors: `{error, code}` with the status of `http_status.ts`.
 *
 * Read-only operations endpoints, the same as the device runtime's admin
 * API (`src/admin/`), are served WITHOUT the bearer credential:
 * `GET /healthz`, `/readyz`, `/status` (JSON), `/metrics` (Prometheus text
 * 0.0.4). They change nothing and hold no secret (no token, credential,
 * key, node or token name: only aggregate counts, certificate dates, the CA
 * hash and listener addresses), and the socket itself is 0600, so only the
 * hub's user (and root) can reach them — the same people who can read the
 * credential file. Keeping them credential-free lets `edge-runtime hub
 * status`, a health probe or a metrics agent use them without reading the
 * state dir, and lets an operator widen the socket's access for monitoring
 * without handing out the power to create tokens or revoke nodes.
 * @module
 */
import { Hono } from "hono";
import { EdgeError } from "../errors.ts";
import { parseDuration } from "../config/mod.ts";
import { fromBase64Url, toBase64Url } from "../bytes.ts";
import { type Random, secureRandom } from "../random.ts";
import type { Store } from "../store/mod.ts";
import type { Authority } from "./authority.ts";
import type { NodeEntry, NodeLinks } from "./node_links.ts";
import {
  type AdminOptions,
  createAdminApp as createOpsApp,
} from "../admin/server.ts";
import { httpStatusFor, publicMessage } from "./http_status.ts";

/** Unit holding the admin bearer credential (base64url text). */
export const ADMIN_CREDENTIAL_UNIT = "admin-credential";

/** Read the admin credential, creating it (32 random bytes) on first use. */
export async function loadOrCreateAdminCredential(
  store: Store,
  random: Random = secureRandom,
): Promise<string> {
  const existing = await readAdminCredential(store);
  if (existing) return existing;
  const value = toBase64Url(random.bytes(32));
  await store.write(ADMIN_CREDENTIAL_UNIT, new TextEncoder().encode(value));
  return value;
}

/** Read the admin credential; undefined before the hub first started. */
export async function readAdminCredential(
  store: Store,
): Promise<string | undefined> {
  const raw = await store.read(ADMIN_CREDENTIAL_UNIT, {
    validate: (v) => {
      if (fromBase64Url(new TextDecoder().decode(v)).length !== 32) {
        throw new Error("expected 32 bytes, base64url");
      }
    },
  });
  return raw && new TextDecoder().decode(raw);
}

function constantTimeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  }
  return diff === 0;
}

/** Paths served without the bearer credential (GET only). */
export const OPS_PATHS: readonly string[] = [
  "/healthz",
  "/readyz",
  "/status",
  "/metrics",
];

/** The read-only operations endpoints (see the module doc). */
export interface HubOpsOptions extends Omit<AdminOptions, "status"> {
  /** Builds the `/status` body (may read asynchronous sources). */
  status: () => Promise<Record<string, unknown>>;
  /** Awaited before `/metrics` renders (reads asynchronous sources). */
  refresh?: () => Promise<void>;
}

/** Build the admin app. */
export function createAdminApp(
  options: {
    authority: Authority;
    credential: string;
    links?: NodeLinks;
    /** Serve `/healthz`, `/readyz`, `/status`, `/metrics` without the bearer. */
    ops?: HubOpsOptions;
  },
): Hono {
  const { authority, credential, links, ops } = options;
  const app = new Hono();
  if (ops) {
    // The device runtime's admin app renders them (same bodies, same
    // content types); the hub only reads its asynchronous sources first.
    let current: Record<string, unknown> = {};
    const opsApp = createOpsApp({ ...ops, status: () => current });
    app.get("/healthz", (c) => opsApp.fetch(c.req.raw));
    app.get("/readyz", (c) => opsApp.fetch(c.req.raw));
    app.get("/status", async (c) => {
      current = await ops.status();
      return await opsApp.fetch(c.req.raw);
    });
    app.get("/metrics", async (c) => {
      await ops.refresh?.();
      return await opsApp.fetch(c.req.raw);
    });
  }
  app.use("*", async (c, next) => {
    if (ops && c.req.method === "GET" && OPS_PATHS.includes(c.req.path)) {
      return await next();
    }
    const header = c.req.header("Authorization") ?? "";
    const m = /^Bearer (\S+)$/.exec(header);
    if (!m || !constantTimeEqual(m[1], credential)) {
      return c.json({
        error: "admin credential missing or wrong",
        code: "HUB_UNAUTHORIZED",
      }, 401);
    }
    await next();
  });
  app.onError((err, c) =>
    c.json(
      {
        error: publicMessage(err),
        code: err instanceof EdgeError ? err.code : "INTERNAL",
      },
      // deno-lint-ignore no-explicit-any
      httpStatusFor(err) as any,
    )
  );

  app.get("/v1/ca", (c) => c.json({ hash: authority.caHash }));

  app.post("/v1/tokens", async (c) => {
    const body = await c.req.json().catch(() => undefined) as
      | { node?: unknown; ttl?: unknown }
      | undefined;
    if (!body || typeof body.node !== "string") {
      throw new EdgeError("HUB_BAD_REQUEST", 'body: expected {"node": NAME}');
    }
    let ttlMs: number | undefined;
    if (body.ttl !== undefined) {
      try {
        ttlMs = parseDuration(String(body.ttl));
      } catch (err) {
        throw new EdgeError(
          "HUB_BAD_REQUEST",
          `ttl: ${(err as Error).message}`,
        );
      }
    }
    const { record, token } = await authority.createToken({
      node: body.node,
      ttlMs,
    });
    return c.json({
      id: record.id,
      node: record.node,
      expiresAt: new Date(record.expiresAt).toISOString(),
      token,
    }, 201);
  });
  app.get("/v1/tokens", (c) => c.json({ tokens: authority.listTokens() }));
  app.delete(
    "/v1/tokens/:id",
    async (c) =>
      c.json({ token: await authority.revokeToken(c.req.param("id")) }),
  );

  app.get(
    "/v1/nodes",
    async (c) => c.json({ nodes: await authority.listNodes() }),
  );
  app.post("/v1/nodes/:name/:op{lock|unlock|revoke}", async (c) => {
    const name = c.req.param("name");
    const op = c.req.param("op");
    const node = op === "lock"
      ? await authority.lockNode(name)
      : op === "unlock"
      ? await authority.unlockNode(name)
      : await authority.revokeNode(name);
    return c.json({ node });
  });
  if (links) {
    app.post("/v1/nodes/:name/messages", async (c) => {
      const node = c.req.param("name");
      const body = await c.req.json().catch(() => undefined) as
        | Record<string, unknown>
        | undefined;
      if (!body || typeof body.resource !== "string" || !("content" in body)) {
        throw new EdgeError(
          "HUB_BAD_REQUEST",
          'body: expected {"resource": STRING, "content": JSON}',
        );
      }
      const str = (k: string) =>
        typeof body[k] === "string" ? body[k] as string : undefined;
      const record = (await authority.listNodes()).find((n) => n.name === node);
      if (!record) {
        throw new EdgeError(
          "HUB_NOT_FOUND",
          `node "${node}" is not registered`,
        );
      }
      const msg = links.send(node, {
        resource: body.resource,
        operation: str("operation"),
        group: str("group"),
        destination: str("destination"),
      }, body.content);
      return c.json({ msg_id: msg.header.msg_id }, 202);
    });
    app.put("/v1/nodes/:name/entries", async (c) => {
      const body = await c.req.json().catch(() => undefined) as
        | { entries?: NodeEntry[] }
        | undefined;
      await links.setEntries(c.req.param("name"), body?.entries as NodeEntry[]);
      return c.json({ entries: links.entries(c.req.param("name")) });
    });
    app.get(
      "/v1/nodes/:name/entries",
      (c) => c.json({ entries: links.entries(c.req.param("name")) }),
    );
  }
  app.notFound((c) =>
    c.json({ error: "not found", code: "HUB_NOT_FOUND" }, 404)
  );
  return app;
}
