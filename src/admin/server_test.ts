import {
  assert,
  assertEquals,
  assertStringIncludes,
} from "../../tests/_fixtures/assert.ts";
import { MetricsRegistry } from "../metrics/mod.ts";
import type { Readiness } from "./readiness.ts";
import {
  createAdminApp,
  METRICS_CONTENT_TYPE,
  startAdminServer,
} from "./server.ts";

function registry(): MetricsRegistry {
  const r = new MetricsRegistry();
  r.counter({ name: "edge_runtime_things_total", help: "Things." }).inc();
  return r;
}

Deno.test("GET /healthz answers 200 ok", async () => {
  const app = createAdminApp({ status: () => ({}) });
  const res = await app.request("/healthz");
  assertEquals(res.status, 200);
  assertEquals(await res.text(), "ok\n");
});

Deno.test("GET /readyz answers 200 when ready and 503 with one reason a line when not", async () => {
  let r: Readiness = { ready: true, reasons: [] };
  const app = createAdminApp({ status: () => ({}), ready: () => r });
  let res = await app.request("/readyz");
  assertEquals(res.status, 200);
  assertEquals(await res.text(), "ready\n");
  r = { ready: false, reasons: ["node identity: phase is enrolling", "b"] };
  res = await app.request("/readyz");
  assertEquals(res.status, 503);
  assertStringIncludes(res.headers.get("content-type")!, "text/plain");
  assertEquals(await res.text(), "node identity: phase is enrolling\nb\n");
});

Deno.test("GET /metrics serves the registry in text format 0.0.4", async () => {
  const app = createAdminApp({ status: () => ({}), metrics: registry() });
  const res = await app.request("/metrics");
  assertEquals(res.status, 200);
  assertEquals(res.headers.get("content-type"), METRICS_CONTENT_TYPE);
  assertEquals(
    await res.text(),
    "# HELP edge_runtime_things_total Things.\n" +
      "# TYPE edge_runtime_things_total counter\n" +
      "edge_runtime_things_total 1\n",
  );
});

Deno.test("GET /metrics without a registry is an empty 200 body", async () => {
  const res = await createAdminApp({ status: () => ({}) }).request("/metrics");
  assertEquals(res.status, 200);
  assertEquals(await res.text(), "");
});

Deno.test("GET /status still returns the status JSON with the pid", async () => {
  const app = createAdminApp({ status: () => ({ identity: { phase: "x" } }) });
  const body = await (await app.request("/status")).json();
  assertEquals(body, { pid: Deno.pid, identity: { phase: "x" } });
});

async function curl(socket: string, path: string) {
  const out = await new Deno.Command("curl", {
    args: [
      "-sS",
      "--unix-socket",
      socket,
      "-w",
      "\n%{http_code} %{content_type}",
      `http://x${path}`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  const text = new TextDecoder().decode(out.stdout);
  const cut = text.lastIndexOf("\n");
  const [code, ...type] = text.slice(cut + 1).split(" ");
  return {
    status: Number(code),
    contentType: type.join(" "),
    body: text.slice(0, cut),
  };
}

Deno.test("the endpoints answer curl over the real Unix socket, which is 0600", async () => {
  const dir = await Deno.makeTempDir();
  const socketPath = `${dir}/run/admin.sock`;
  let ready = false;
  const server = await startAdminServer({
    socketPath,
    status: () => ({}),
    ready: () => ({ ready, reasons: ready ? [] : ["not yet"] }),
    metrics: registry(),
  });
  try {
    assertEquals((await Deno.stat(socketPath)).mode! & 0o777, 0o600);
    const h = await curl(socketPath, "/healthz");
    assertEquals([h.status, h.body], [200, "ok\n"]);
    assertStringIncludes(h.contentType, "text/plain");
    assertEquals((await curl(socketPath, "/readyz")).status, 503);
    ready = true;
    assertEquals((await curl(socketPath, "/readyz")).status, 200);
    const m = await curl(socketPath, "/metrics");
    assertEquals(m.status, 200);
    assertEquals(m.contentType, METRICS_CONTENT_TYPE);
    assertStringIncludes(m.body, "\nedge_runtime_things_total 1\n");
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
