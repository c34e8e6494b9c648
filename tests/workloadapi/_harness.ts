/**
 * Test harness for the Workload API: a local test CA (root → node
 * intermediate, pathLen 0, name-constrained to the trust domain), a running
 * API on a socket in a temp dir reachable by other uids, and the Node.js
 * client run as any uid.
 */
import { createTestCa, type TestCa } from "./_ca.ts";
import {
  createIntermediateHolder,
  type NodeIntermediate,
} from "../../src/svid/mod.ts";
import {
  startWorkloadApi,
  type WorkloadApi,
} from "../../src/workloadapi/mod.ts";
import type { Clock } from "../../src/clock.ts";
import type { Logger } from "../../src/log/mod.ts";

export const TD = "example.org";
export const PROTO =
  new URL("../../src/workloadapi/proto/workload.proto", import.meta.url)
    .pathname;
const CLIENT = new URL("./_client.cjs", import.meta.url).pathname;
const DEPS = new URL("../../scripts/interop-deps.sh", import.meta.url).pathname;

let nodeModules: string | undefined;

/** Install the Node client's npm packages through the project's script (cached). */
export async function nodeClientDeps(): Promise<string> {
  if (nodeModules) return nodeModules;
  const out = await new Deno.Command("bash", {
    args: [DEPS, "node"],
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error("scripts/interop-deps.sh node failed");
  nodeModules = `${
    new TextDecoder().decode(out.stdout).trim()
  }/node/node_modules`;
  return nodeModules;
}

export interface ApiEntry {
  spiffeId: string;
  selectors: string[];
  ttlMs?: number;
  hint?: string;
}

export interface TestApi extends AsyncDisposable {
  api: WorkloadApi;
  dir: string;
  socket: string;
  intermediate: NodeIntermediate;
  ca: TestCa;
  holder: ReturnType<typeof createIntermediateHolder>;
}

/** Start the API with `entries` on a socket other uids can reach. */
export async function startTestApi(
  entries: ApiEntry[],
  opts: {
    svidTtlMs?: number;
    jwtTtlMs?: number;
    clock?: Clock;
    logger?: Logger;
    intermediateTtlMs?: number;
  } = {},
): Promise<TestApi> {
  const dir = await Deno.makeTempDir({ prefix: "wlapi-" });
  await Deno.chmod(dir, 0o755);
  const socket = `${dir}/workload.sock`;
  const ca = await createTestCa(TD, opts.clock);
  const intermediate = await ca.intermediate(opts.intermediateTtlMs);
  const holder = createIntermediateHolder(intermediate);
  const api = await startWorkloadApi({
    config: {
      enabled: true,
      socketPath: socket,
      socketMode: 0o666,
      svidTtl: opts.svidTtlMs ?? 3_600_000,
      jwtSvidTtl: opts.jwtTtlMs ?? 300_000,
      intermediateTtl: 7 * 86_400_000,
      entries: entries.map((e) => ({
        spiffeId: e.spiffeId,
        selectors: e.selectors,
        ttl: e.ttlMs,
        hint: e.hint,
        dnsNames: undefined,
      })),
    },
    trustDomain: TD,
    intermediates: holder,
    clock: opts.clock,
    logger: opts.logger,
  });
  await api.x509.settled();
  return {
    api,
    ca,
    dir,
    socket,
    intermediate,
    holder,
    async [Symbol.asyncDispose]() {
      await api.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** Run the Node.js client (optionally as another uid via setpriv); JSON lines out. */
export async function runNodeClient(
  socket: string,
  args: string[],
  uid?: number,
): Promise<Record<string, unknown>[]> {
  const nm = await nodeClientDeps();
  const argv = ["node", CLIENT, PROTO, socket, ...args];
  const cmd = uid === undefined ? argv : [
    "setpriv",
    "--reuid",
    String(uid),
    "--regid",
    String(uid),
    "--clear-groups",
    ...argv,
  ];
  const out = await new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    env: { NODE_PATH: nm },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(
      `node client failed: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return text.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

/** A Node.js client process left running; JSON lines as they arrive. */
export interface HeldClient extends AsyncDisposable {
  /** The next JSON line (rejects if the client ends first). */
  next(): Promise<Record<string, unknown>>;
}

/** Start the Node.js client with `args` (e.g. `["hold"]`) without waiting for it. */
export async function spawnNodeClient(
  socket: string,
  args: string[],
): Promise<HeldClient> {
  const nm = await nodeClientDeps();
  const child = new Deno.Command("node", {
    args: [CLIENT, PROTO, socket, ...args],
    env: { NODE_PATH: nm },
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  return {
    async next() {
      while (!buf.includes("\n")) {
        const r = await lines.read();
        if (r.done) throw new Error("the node client ended");
        buf += r.value;
      }
      const i = buf.indexOf("\n");
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      return JSON.parse(line);
    },
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await lines.cancel().catch(() => {});
      await child.status;
    },
  };
}

/**
 * Run a command (stdin empty, killed after `timeoutMs`); returns {code,
 * stdout, stderr}.
 */
export async function run(
  cmd: string[],
  timeoutMs = 60_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(timeoutMs),
  }).output();
  const d = new TextDecoder();
  return {
    code: out.code,
    stdout: d.decode(out.stdout),
    stderr: d.decode(out.stderr),
  };
}
