/**
 * One hub process holding many simulated edge connections. A first hub
 * process (`_hub_process.ts`) enrolls N nodes (`sim-<i>`, each with its own
 * certificate, since the hub keeps one link per node) and stops; a fresh
 * hub process then starts on the same state (so enrollment garbage does not
 * blur the figures), and this process opens one mTLS WebSocket link per
 * node (the CloudHub handshake, with the `ws` client, 64 at a time) and
 * sends a keepalive on each; the first 64 (N/10 at most) are a warm-up that
 * belongs to the baseline. Reports:
 * - `hubconn.open_rate`: links opened per second (handshake, node
 *   authentication, session);
 * - `hubconn.rss_per_link`: the hub's RSS growth per open link, each RSS
 *   read after a full garbage collection and a malloc trim.
 *
 * Run: `npx -y deno@2.9.6 run --allow-all --unstable-net
 * scripts/bench/hub_connections.ts [N=1000]` (N = 5000 for the issue's
 * figure; enrollment takes most of the time).
 * @module
 */
import WebSocket from "ws";
import { cloudHubHeaders, cloudHubUrl } from "../../src/hub/mod.ts";
import { encodeMessage, keepaliveMessage } from "../../src/message/mod.ts";
import { freePort, freeUdpPort } from "../../tests/hublink/_harness.ts";
import { report } from "./_report.ts";

const N = Number(Deno.args[0] ?? 1_000);
const CONCURRENCY = 64;
const PROJECT = "e632aba927ea4ac2b575ec1603d56f10";
const dir = await Deno.makeTempDir({ prefix: "edge-hub-conns-" });
const ports = `${freePort()},${freeUdpPort()}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A `_hub_process.ts` child whose stdout lines are read one by one. */
function startHub(args: string[], v8Flags: string[] = []) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--unstable-net",
      ...v8Flags,
      new URL("./_hub_process.ts", import.meta.url).pathname,
      dir,
      "--ports",
      ports,
      ...args,
    ],
    env: { DENO_USR2_MEMORY_TRIM: "1" },
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream())
    .getReader();
  let buf = "";
  const nextLine = async (): Promise<Record<string, unknown>> => {
    while (!buf.includes("\n")) {
      const r = await reader.read();
      if (r.done) throw new Error("the hub process ended");
      buf += r.value;
    }
    const i = buf.indexOf("\n");
    const line = buf.slice(0, i);
    buf = buf.slice(i + 1);
    return JSON.parse(line);
  };
  const stdin = child.stdin.getWriter();
  const send = (line: string) => stdin.write(new TextEncoder().encode(line));
  return { child, nextLine, send };
}

const t0 = performance.now();
const enroller = startHub(["--many", String(N)]);
await enroller.nextLine();
enroller.child.kill("SIGTERM");
await enroller.child.status;
console.log(
  `enrolled ${N} nodes in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);
const creds: {
  node: string;
  keyPem: string;
  certPem: string;
  caPem: string;
}[] = JSON.parse(await Deno.readTextFile(`${dir}/identities.json`));

const hub = startHub([], ["--v8-flags=--expose-gc"]);
const info = await hub.nextLine();
const wsPort = Number(info.wsPort);

/** The hub's RSS and JS heap in KiB after a full GC and a malloc trim. */
const settled = async () => {
  await hub.send("gc\n");
  let line;
  while (!(line = await hub.nextLine()).gc) { /* other lines */ }
  hub.child.kill("SIGUSR2"); // DENO_USR2_MEMORY_TRIM
  await sleep(500);
  const s = await Deno.readTextFile(`/proc/${hub.child.pid}/status`);
  return {
    rss: Number(/VmRSS:\s+(\d+)/.exec(s)![1]),
    heap: (Number(line.heapUsed) + Number(line.external)) / 1024,
  };
};

// deno-lint-ignore no-explicit-any
const sockets: any[] = [];
const open = (c: (typeof creds)[number]) =>
  new Promise<void>((resolve, reject) => {
    const ws = new WebSocket(
      cloudHubUrl(`127.0.0.1:${wsPort}`, PROJECT, c.node),
      {
        headers: cloudHubHeaders(PROJECT, c.node),
        cert: c.certPem,
        key: c.keyPem,
        ca: c.caPem,
      },
    );
    ws.on("open", () => {
      ws.send(encodeMessage(keepaliveMessage()));
      sockets.push(ws);
      resolve();
    });
    ws.on("error", reject);
  });
// Warm-up (code loaded on the first links), part of the baseline.
const WARM = Math.min(CONCURRENCY, Math.floor(N / 10));
await Promise.all(creds.slice(0, WARM).map(open));
await sleep(1_000);
const before = await settled();

const t1 = performance.now();
for (let i = WARM; i < creds.length; i += CONCURRENCY) {
  await Promise.all(creds.slice(i, i + CONCURRENCY).map(open));
}
const openS = (performance.now() - t1) / 1000;
const opened = sockets.length - WARM;
await sleep(1_000);
const after = await settled();
const perLink = (after.rss - before.rss) / opened;
console.log(
  `${opened} links open in ${openS.toFixed(1)} s (${
    (opened / openS).toFixed(0)
  }/s; ${WARM} opened before as a warm-up); hub RSS ${
    (before.rss / 1024).toFixed(0)
  } MiB → ${(after.rss / 1024).toFixed(0)} MiB: ${
    perLink.toFixed(1)
  } KiB per link (JS heap + external: ${
    ((after.heap - before.heap) / opened).toFixed(1)
  } KiB)`,
);
report("hubconn.open_rate", Math.round(opened / openS), "/s");
report("hubconn.rss_per_link", Math.round(perLink * 10) / 10, "KiB");
for (const ws of sockets) ws.terminate();
hub.child.kill("SIGTERM");
await hub.child.status;
await Deno.remove(dir, { recursive: true }).catch(() => {});
Deno.exit(0);
