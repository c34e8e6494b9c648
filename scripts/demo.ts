/**
 * `deno task demo`: the whole system on one machine, on embedded defaults,
 * in a temporary directory removed on exit or Ctrl-C.
 *
 * Starts the reference hub, creates a join token, starts the runtime (which
 * bootstraps its node identity, gets its node intermediate and serves the
 * SPIFFE Workload API), runs a sample workload process that fetches an
 * X.509-SVID and a JWT-SVID, then stops the hub and shows the workload's
 * SVID rotating offline, and restarts the hub.
 *
 * `deno task demo --keep-running` does the set-up, prints KEY=value lines for
 * scripting against the running system, and stays up until SIGINT/SIGTERM.
 * @module
 */
import {
  type Proc,
  ROOT,
  runProgram,
  spawnProgram,
  writeSystemConfigs,
} from "./_system.ts";
import { parseCertificateChainDer, verifySvidChain } from "../src/pki/mod.ts";
import { decodeJwtInsecure } from "../src/jose/mod.ts";
import { fromBase64 } from "../src/bytes.ts";

const keepRunning = Deno.args.includes("--keep-running");
const unknown = Deno.args.filter((a) => a !== "--keep-running");
if (unknown.length) {
  console.error(
    `demo: unknown argument ${
      unknown[0]
    }; usage: deno task demo [--keep-running]`,
  );
  Deno.exit(2);
}

const started = performance.now();
let stepNo = 0;
const say = (text: string) => {
  const t = ((performance.now() - started) / 1000).toFixed(2).padStart(6);
  console.log(`[${t}s] ${text}`);
};
async function step<T>(title: string, fn: () => Promise<T>): Promise<T> {
  say(`step ${++stepNo}: ${title}`);
  const t0 = performance.now();
  const r = await fn();
  say(`        done in ${(performance.now() - t0).toFixed(0)} ms`);
  return r;
}

const dir = await Deno.makeTempDir({ prefix: "edge-runtime-demo-" });
const procs: Proc[] = [];
let cleaning: Promise<void> | undefined;
/** Stop every process and remove the demo dir; every caller awaits the same run. */
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await Promise.all(procs.map((p) => p.stop().catch(() => 0)));
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  })();
  return cleaning;
}
const onSignal = async () => {
  if (!cleaning) console.log("\nstopping — removing the demo directory");
  await cleanup();
  Deno.exit(keepRunning ? 0 : 130);
};
Deno.addSignalListener("SIGINT", onSignal);
Deno.addSignalListener("SIGTERM", onSignal);

let messageSocket = "";
async function workload(
  args: string[],
  endpoint: string,
): Promise<Record<string, unknown>[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-net",
      `${ROOT}/scripts/demo_workload.ts`,
      ...args,
    ],
    env: { SPIFFE_ENDPOINT_SOCKET: endpoint, MESSAGE_SOCKET: messageSocket },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(
      `workload failed: ${text}${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return text.trim().split("\n").map((l) => JSON.parse(l));
}

async function showSvid(msg: Record<string, unknown>): Promise<string> {
  const svid =
    (msg.svids as { spiffe_id: string; x509_svid: string; bundle: string }[])[
      0
    ];
  const chain = parseCertificateChainDer(fromBase64(svid.x509_svid));
  const roots = parseCertificateChainDer(fromBase64(svid.bundle));
  const v = await verifySvidChain(chain[0], chain.slice(1), roots, {
    trustDomain: "example.org",
  });
  say(
    `        ${v.spiffeId}: serial ${chain[0].serialHex.slice(0, 12)}…, ` +
      `valid until ${
        chain[0].notAfter.toISOString()
      }, chain leaf → node intermediate → hub CA verified`,
  );
  return chain[0].serialHex;
}

/** The JSON lines the hub printed for node messages. */
function hubMessages(p: Proc): string[] {
  return p.stdout().split("\n").filter((l) =>
    l.startsWith("{") && l.includes('"resource"')
  );
}

async function waitForHubMessage(p: Proc, resource: string): Promise<string> {
  const re = new RegExp(`^\\{.*"resource":"${resource}".*$`, "m");
  return (await p.waitFor(re, 30_000))[0];
}

let exitCode = 0;
try {
  say(`edge-runtime demo — everything lives in ${dir} (removed at the end)`);
  const sys = await writeSystemConfigs(dir, { svidTtl: "10s" });

  let hub = await step(
    "start the reference hub (CA, enrollment API, node links)",
    async () => {
      const p = await spawnProgram(["hub", "--config", sys.hubConfig]);
      procs.push(p);
      const m = await p.waitFor(/CA hash: ([0-9a-f]{64})[\s\S]*admin socket:/);
      say(`        hub CA hash ${m[1]}`);
      return p;
    },
  );

  await step(
    `create a single-use join token for node "${sys.nodeName}"`,
    async () => {
      const token = (await runProgram([
        "token",
        "create",
        "--node",
        sys.nodeName,
        "--config",
        sys.hubConfig,
      ])).trim();
      await Deno.writeTextFile(sys.tokenFile, token + "\n", {
        mode: 0o600,
      });
      say(
        `        token written to ${sys.tokenFile} (<caHash>.<jwt>, not shown)`,
      );
    },
  );

  const endpoint = await step(
    "start the runtime: bootstrap, node intermediate, Workload API, hub link",
    async () => {
      const p = await spawnProgram(["run", "--config", sys.edgeConfig]);
      procs.push(p);
      const m = await p.waitFor(
        /SPIFFE_ENDPOINT_SOCKET=(unix:\/\/\S+)/,
        60_000,
      );
      say(`        SPIFFE_ENDPOINT_SOCKET=${m[1]}`);
      messageSocket = (await p.waitFor(/MESSAGE_SOCKET=(\S+)/))[1];
      say(
        `        MESSAGE_SOCKET=${messageSocket} (local message API, relayed over the hub link)`,
      );
      return m[1];
    },
  );

  if (keepRunning) {
    const lines = {
      SPIFFE_ENDPOINT_SOCKET: endpoint,
      HUB_ENROLL_URL: sys.enrollUrl,
      HUB_CONFIG: sys.hubConfig,
      EDGE_CONFIG: sys.edgeConfig,
      HUB_STATE_DIR: sys.hubStateDir,
      EDGE_STATE_DIR: sys.edgeStateDir,
      NODE_NAME: sys.nodeName,
      MESSAGE_SOCKET: messageSocket,
      WORKLOAD_UID: String(sys.workloadUid),
      WORKLOAD_SPIFFE_ID: sys.workloadSpiffeId,
    };
    for (const [k, v] of Object.entries(lines)) console.log(`${k}=${v}`);
    say(
      "running; each message the hub receives is printed below; Ctrl-C stops",
    );
    let printed = 0;
    setInterval(() => {
      const all = hubMessages(hub);
      for (const line of all.slice(printed)) {
        console.log(`hub received: ${line}`);
      }
      printed = all.length;
    }, 200);
    await new Promise(() => {});
  }

  await step(
    "a separate workload process fetches its X.509-SVID over the Workload API",
    async () => {
      const [msg] = await workload(["x509", "1"], endpoint);
      await showSvid(msg);
    },
  );

  await step(
    'the workload fetches a JWT-SVID for audience "demo-db"',
    async () => {
      const [r] = await workload(["jwt", "demo-db"], endpoint);
      const { header, claims } = decodeJwtInsecure(r.svid as string);
      say(
        `        ${header.alg} JWT for ${claims.sub}, aud ${
          JSON.stringify(claims.aud)
        }, ` +
          `expires ${new Date((claims.exp as number) * 1000).toISOString()}`,
      );
    },
  );

  await step(
    "the workload publishes a message; the hub prints it",
    async () => {
      await workload(
        ["publish", "demo/telemetry", '{"temperature":21.5}'],
        endpoint,
      );
      say(`        hub: ${await waitForHubMessage(hub, "demo/telemetry")}`);
    },
  );

  await step("stop the hub: the node is now offline", async () => {
    await hub.stop();
  });

  await step(
    "offline rotation: the workload's stream delivers a fresh SVID from the cached intermediate",
    async () => {
      const msgs = await workload(["x509", "2"], endpoint);
      const a = await showSvid(msgs[0]);
      const b = await showSvid(msgs[1]);
      if (a === b) throw new Error("the SVID did not rotate");
      say("        rotated while the hub was down");
    },
  );

  await step(
    "publish while offline: accepted once durable in the outbox",
    async () => {
      await workload(["publish", "demo/offline", '{"queued":true}'], endpoint);
      say("        202 Accepted; the message waits in the durable outbox");
    },
  );

  hub = await step(
    "restart the hub: the link comes back and delivers the queued message",
    async () => {
      const p = await spawnProgram(["hub", "--config", sys.hubConfig]);
      procs.push(p);
      await p.waitFor(/admin socket:/);
      say(`        hub: ${await waitForHubMessage(p, "demo/offline")}`);
      return p;
    },
  );

  say(
    `demo finished in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
} catch (err) {
  exitCode = 1;
  console.error(`demo failed: ${(err as Error).message}`);
  for (const p of procs) {
    const tail = p.stderr().trim().split("\n").slice(-5).join("\n");
    if (tail) console.error(tail);
  }
} finally {
  await cleanup();
}
Deno.exit(exitCode);
