/**
 * Start a hub and an edge runtime as real processes of `src/main.ts`, with
 * the compiled binary's flags, on loopback ports and temporary paths. Used
 * by the demo (and through it by the end-to-end test).
 * @module
 */
import { cliFlags } from "./_build.ts";

/** The repository root. */
export const ROOT: string = new URL("..", import.meta.url).pathname;

/** A free TCP port on 127.0.0.1 (asked from the kernel, then released). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/**
 * Factor applied to every wait in {@link Proc.waitFor}: `EDGE_RUNTIME_TIMEOUT_SCALE`
 * (default 1). The arm64 lane sets it because everything runs ~10x slower
 * under qemu-user emulation.
 */
export const TIMEOUT_SCALE: number =
  Number(Deno.env.get("EDGE_RUNTIME_TIMEOUT_SCALE") ?? "") || 1;

/** `src/main.ts args…` as a command with the `cli` task's flags. */
async function programCommand(args: string[]): Promise<Deno.Command> {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      ...await cliFlags(ROOT),
      `${ROOT}/src/main.ts`,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  });
}

/** A running `edge-runtime` process whose output is collected. */
export interface Proc {
  child: Deno.ChildProcess;
  /** All stdout so far. */
  stdout(): string;
  /** All stderr so far. */
  stderr(): string;
  /** Resolve when stdout matches `re` (rejects after `timeoutMs` or on exit). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** SIGTERM (or `signal`) and wait for the exit code. */
  stop(signal?: Deno.Signal): Promise<number>;
}

/** Spawn `src/main.ts args…` with the `cli` task's flags. */
export async function spawnProgram(args: string[]): Promise<Proc> {
  const child = (await programCommand(args)).spawn();
  let out = "", err = "";
  let exited = false;
  const waiters = new Set<() => void>();
  const pump = async (
    s: ReadableStream<Uint8Array>,
    add: (t: string) => void,
  ) => {
    for await (const t of s.pipeThrough(new TextDecoderStream())) {
      add(t);
      waiters.forEach((w) => w());
    }
  };
  const done = Promise.all([
    pump(child.stdout, (t) => out += t),
    pump(child.stderr, (t) => err += t),
  ]).finally(() => {
    exited = true;
    waiters.forEach((w) => w());
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitFor(re, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => finish(new Error(`timed out waiting for ${re}`)),
          timeoutMs * TIMEOUT_SCALE,
        );
        const check = () => {
          const m = out.match(re);
          if (m) finish(undefined, m);
          else if (exited) {
            finish(new Error(`process exited before ${re}:\n${err}`));
          }
        };
        const finish = (e?: Error, m?: RegExpMatchArray) => {
          clearTimeout(timer);
          waiters.delete(check);
          e ? reject(e) : resolve(m!);
        };
        waiters.add(check);
        check();
      });
    },
    async stop(signal: Deno.Signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch { /* already gone */ }
      const status = await child.status;
      await done;
      return status.code;
    },
  };
}

/** Run `src/main.ts args…` to completion; throws with its stderr on failure. */
export async function runProgram(args: string[]): Promise<string> {
  const out = await (await programCommand(args)).output();
  const dec = new TextDecoder();
  if (!out.success) {
    throw new Error(
      `edge-runtime ${args[0]} failed: ${dec.decode(out.stderr)}`,
    );
  }
  return dec.decode(out.stdout);
}

/** Paths and ports of a demo system under `dir`. */
export interface SystemLayout {
  dir: string;
  hubConfig: string;
  edgeConfig: string;
  hubStateDir: string;
  edgeStateDir: string;
  enrollPort: number;
  enrollUrl: string;
  workloadSocket: string;
  messageSocket: string;
  nodeName: string;
  /** The edge config's `identity.tokenFile`. */
  tokenFile: string;
  workloadUid: number;
  workloadSpiffeId: string;
}

/**
 * Write hub and edge configs for a one-node system under `dir`: loopback
 * ports, sockets in `dir`, one entry for the current uid, short SVID TTL so
 * rotation is visible.
 */
export async function writeSystemConfigs(
  dir: string,
  options: { svidTtl?: string; nodeName?: string } = {},
): Promise<SystemLayout> {
  const enrollPort = freePort();
  const wsPort = freePort();
  const nodeName = options.nodeName ?? "demo-node";
  const uid = Deno.uid() ?? 0;
  const spiffeId = `spiffe://example.org/workload/demo`;
  const l: SystemLayout = {
    dir,
    hubConfig: `${dir}/hub.yaml`,
    edgeConfig: `${dir}/edge.yaml`,
    hubStateDir: `${dir}/hub-state`,
    edgeStateDir: `${dir}/edge-state`,
    enrollPort,
    enrollUrl: `https://127.0.0.1:${enrollPort}`,
    workloadSocket: `${dir}/workload.sock`,
    messageSocket: `${dir}/messages.sock`,
    nodeName,
    tokenFile: `${dir}/join-token`,
    workloadUid: uid,
    workloadSpiffeId: spiffeId,
  };
  await Deno.writeTextFile(
    l.hubConfig,
    `stateDir: ${l.hubStateDir}
log:
  level: warn
enroll:
  listen: 127.0.0.1:${enrollPort}
websocket:
  listen: 127.0.0.1:${wsPort}
admin:
  socketPath: ${dir}/hub-admin.sock
`,
  );
  await Deno.writeTextFile(
    l.edgeConfig,
    `node:
  name: ${nodeName}
stateDir: ${l.edgeStateDir}
log:
  level: warn
identity:
  tokenFile: ${l.tokenFile}
hub:
  httpServer: ${l.enrollUrl}
  websocketServer: 127.0.0.1:${wsPort}
  reconnect:
    maxDelay: 2s
  messageApi:
    socketPath: ${l.messageSocket}
workloadApi:
  socketPath: ${l.workloadSocket}
  svidTtl: ${options.svidTtl ?? "1h"}
  entries:
    - spiffeId: ${spiffeId}
      selectors: ["unix:uid:${uid}"]
      hint: demo
admin:
  socketPath: ${dir}/edge-admin.sock
`,
  );
  return l;
}

/**
 * Start the system's hub and put a fresh join token for its node in the
 * edge config's token file (0600); the hub is stopped again on failure.
 */
export async function startSystemHub(l: SystemLayout): Promise<Proc> {
  const hub = await spawnProgram(["hub", "--config", l.hubConfig]);
  try {
    await hub.waitFor(/admin socket:/);
    const token = await runProgram([
      "token",
      "create",
      "--node",
      l.nodeName,
      "--config",
      l.hubConfig,
    ]);
    await Deno.writeTextFile(l.tokenFile, token.trim() + "\n", { mode: 0o600 });
    return hub;
  } catch (err) {
    await hub.stop();
    throw err;
  }
}

/** SPIFFE IDs of the X509-SVIDs a workload process (this uid) fetches from `endpoint`. */
export async function fetchSvidIds(endpoint: string): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}/scripts/demo_workload.ts`, "x509", "1"],
    env: { SPIFFE_ENDPOINT_SOCKET: endpoint },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const line = JSON.parse(
    new TextDecoder().decode(out.stdout).trim().split("\n")[0],
  );
  return (line.svids ?? []).map((s: { spiffe_id: string }) => s.spiffe_id);
}
