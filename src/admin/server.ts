/**
 * The local admin API: a small hono app served on a Unix socket
 * (`admin.socketPath`, mode 0600). `GET /status` returns one JSON object
 * with a section per part (`identity` now; the Workload API and hub link add
 * theirs). `edge-runtime status` reads it. `GET /healthz` answers 200 while
 * the process serves, `GET /readyz` 200 or 503 with the reasons (plain text,
 * one a line), `GET /metrics` the Prometheus text format 0.0.4
 * (docs/metrics.md).
 *
 * @example
 * ```ts
 * const admin = await startAdminServer({
 *   socketPath,
 *   status: () => ({ identity: manager.status() }),
 *   ready: () => runtimeReadiness({ identity: manager.status(), now: Date.now(), workloadApiEnabled: false }),
 *   metrics: registry,
 * });
 * await admin.close();
 * ```
 * @module
 */
import { Hono } from "hono";
import { prepareSocketPath } from "../net/unix_socket.ts";
import { type Logger, nullLogger } from "../log/mod.ts";
import type { MetricsRegistry } from "../metrics/mod.ts";
import type { Readiness } from "./readiness.ts";

/** Content type of `/metrics` (Prometheus text exposition format 0.0.4). */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Options of {@link createAdminApp} / {@link startAdminServer}. */
export interface AdminOptions {
  /** Builds the `/status` body. */
  status: () => Record<string, unknown>;
  /** Decides `/readyz`. @default always ready */
  ready?: () => Readiness;
  /** Rendered by `/metrics`. @default an empty registry (empty body) */
  metrics?: MetricsRegistry;
}

/** The hono app (testable with `app.request()`). */
export function createAdminApp(options: AdminOptions): Hono {
  const app = new Hono();
  app.get("/status", (c) => c.json({ pid: Deno.pid, ...options.status() }));
  app.get("/healthz", (c) => c.text("ok\n"));
  app.get("/readyz", (c) => {
    const r = options.ready?.() ?? { ready: true, reasons: [] };
    return r.ready
      ? c.text("ready\n")
      : c.text(r.reasons.map((x) => x + "\n").join(""), 503);
  });
  app.get("/metrics", (c) =>
    c.body(options.metrics?.render() ?? "", 200, {
      "content-type": METRICS_CONTENT_TYPE,
    }));
  return app;
}

/** A running admin server. */
export interface AdminServer {
  socketPath: string;
  close(): Promise<void>;
}

/**
 * Serve the admin app on `socketPath`. A stale socket file left by a
 * crashed runtime is replaced (the caller holds the state-dir lock).
 */
export async function startAdminServer(
  options: AdminOptions & { socketPath: string; logger?: Logger },
): Promise<AdminServer> {
  const log = options.logger ?? nullLogger;
  const path = options.socketPath;
  await prepareSocketPath(path, "admin.socketPath");
  const app = createAdminApp(options);
  const server = Deno.serve({
    path,
    onListen: () => {},
    onError: (err) => {
      log.warn("admin API error", { error: (err as Error).message });
      return new Response("internal error", { status: 500 });
    },
  }, app.fetch);
  await Deno.chmod(path, 0o600);
  return {
    socketPath: path,
    async close() {
      await server.shutdown();
      await Deno.remove(path).catch(() => {});
    },
  };
}
