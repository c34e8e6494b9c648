/**
 * Start-up cost guard for "process start → node certificate on disk"
 * (`scripts/bench/identity.ts`) and "cold start → Workload API serving"
 * (`scripts/bench/process.ts`): everything `src/runtime.ts` imports
 * statically loads before anything starts, so that import graph must hold
 * only what every start needs. The YAML parser (needed only when the
 * parsed-config cache misses), the node identity's lifecycle (enrollment,
 * renewal, the HTTPS client), the admin API (hono), the Workload API, the
 * hub link's WebSocket library and the lazily loaded parts of `src/pki` are
 * imported when they start. With a stored identity the Workload API starts
 * first, so its graph holds no HTTPS client either. Checked on the real graph, as `deno info` reports it
 * (dynamic imports are listed but not followed here).
 */
import { assert, assertEquals } from "../_fixtures/assert.ts";

const ROOT = new URL("../../", import.meta.url);

interface InfoModule {
  specifier: string;
  dependencies?: {
    specifier: string;
    isDynamic?: boolean;
    code?: { specifier: string };
  }[];
}

/** Every module `entry` loads before its own code runs (static imports only). */
async function staticImports(entry: string): Promise<Set<string>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "--config", "deno.json", entry],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout));
  const modules = new Map<string, InfoModule>(
    info.modules.map((m: InfoModule) => [m.specifier, m]),
  );
  const seen = new Set<string>();
  const todo: string[] = [...info.roots];
  while (todo.length > 0) {
    const s = todo.pop()!;
    if (seen.has(s)) continue;
    seen.add(s);
    for (const dep of modules.get(s)?.dependencies ?? []) {
      if (!dep.isDynamic && dep.code) todo.push(dep.code.specifier);
    }
  }
  return seen;
}

/** `npm:hono@^4` → `hono`, `npm:/@grpc/grpc-js@^1/x.js` → `@grpc/grpc-js`. */
function npmPackage(specifier: string): string | undefined {
  const m = /^npm:\/?((?:@[^/@]+\/)?[^/@]+)/.exec(specifier);
  return m?.[1];
}

Deno.test("the runtime loads no yaml, hono, gRPC, ws, identity lifecycle or lazily loaded pki libraries before it starts a part", async () => {
  const graph = await staticImports("src/runtime.ts");
  const packages = new Set(
    [...graph].map(npmPackage).filter((p) => p !== undefined),
  );
  assertEquals([...packages], []);
  const local = [...graph].filter((s) => s.startsWith(ROOT.href))
    .map((s) => s.slice(ROOT.href.length));
  for (
    const lazy of [
      "src/config/parse.ts",
      "src/admin/server.ts",
      "src/svid/intermediate_client.ts",
      "src/workloadapi/mod.ts",
      "src/hub/mod.ts",
      "src/messageapi/mod.ts",
      "src/pki/_x509.ts",
      "src/identity/from_config.ts",
      "src/identity/upstream/hub.ts",
      "src/net/https_client.ts",
    ]
  ) {
    assert(!local.includes(lazy), `${lazy} is imported statically`);
  }
  assert(!graph.has("node:http") && !graph.has("node:https"));
  // Positive control: the parts every start needs are there.
  for (
    const needed of [
      "src/config/load.ts",
      "src/config/cache.ts",
      "src/identity/state.ts",
      "src/store/mod.ts",
    ]
  ) {
    assert(local.includes(needed), `${needed} is not in the graph`);
  }
});

Deno.test("the Workload API and the node intermediate client load no HTTPS client and no identity lifecycle (they start before it)", async () => {
  for (
    const part of ["src/svid/intermediate_client.ts", "src/workloadapi/mod.ts"]
  ) {
    const graph = await staticImports(part);
    for (const s of ["node:http", "node:https"]) {
      assert(!graph.has(s), `${part} imports ${s} statically`);
    }
    for (
      const m of [
        "src/net/https_client.ts",
        "src/identity/from_config.ts",
        "src/identity/scheduler.ts",
      ]
    ) {
      assert(
        !graph.has(new URL(m, ROOT).href),
        `${part} imports ${m} statically`,
      );
    }
  }
  // positive control: what the Workload API needs is in its graph
  assert(
    (await staticImports("src/workloadapi/mod.ts")).has(
      new URL("src/net/unix_server.ts", ROOT).href,
    ),
    "the Unix socket server is not in the Workload API's graph",
  );
});

Deno.test("nothing the runtime loads before the Workload API answers imports a node: module (Node compatibility costs ~25 ms of CPU to set up)", async () => {
  for (
    const part of [
      "src/main.ts",
      "src/runtime.ts",
      "src/svid/intermediate_client.ts",
      "src/workloadapi/mod.ts",
    ]
  ) {
    const graph = await staticImports(part);
    assertEquals(
      [...graph].filter((s) => s.startsWith("node:")),
      [],
      `${part} imports node: modules statically`,
    );
  }
});

Deno.test("the run command loads the runtime only when it runs", async () => {
  const graph = await staticImports("src/main.ts");
  assert(!graph.has(new URL("src/runtime.ts", ROOT).href));
  assertEquals(
    [...graph].filter((s) => s.startsWith("npm:")),
    [],
    "src/main.ts imports npm packages statically",
  );
});

Deno.test("no part the runtime starts after enrolling loads the YAML parser (a cached configuration parse keeps it out of the process)", async () => {
  for (
    const part of [
      "src/svid/intermediate_client.ts",
      "src/workloadapi/mod.ts",
      "src/admin/server.ts",
      "src/hub/mod.ts",
      "src/messageapi/mod.ts",
      "src/memory_trim.ts",
    ]
  ) {
    const graph = await staticImports(part);
    assert(
      ![...graph].map(npmPackage).includes("yaml"),
      `${part} imports yaml statically`,
    );
    assert(
      !graph.has(new URL("src/config/parse.ts", ROOT).href),
      `${part} imports the YAML parser statically`,
    );
  }
});
