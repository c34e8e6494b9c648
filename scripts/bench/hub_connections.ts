/**
 * One hub process holding many simulated edge connections: the hub runs in
 * its own process (`_hub_process.ts`) and enrolls N nodes (`sim-<i>`, each
 * with its own certificate, since the hub keeps one link per node); this
 * process opens one mTLS WebSocket link per node (the CloudHub handshake,
 * with the `ws` client) and sends a keepalive on each. Reports the hub's
 * RSS before and after, per connection. Run: `npx -y deno@2.9.6 run
 * --allow-all --unstable-net scripts/bench/hub_connections.ts [N]`.
 * @module
 */
import WebSocket from "ws";
import { cloudHubHeaders, cloudHubUrl } from "../../src/hub/mod.ts";
import { encodeMessage, keepaliveMessage } from "../../src/message/mod.ts";

const N = Number(Deno.args[0] ?? 5_000);
const PROJECT = "e632aba927ea4ac2b575ec1603d56f10";
const dir = await Deno.makeTempDir({ prefix: "edge-hub-conns-" });
const child = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "--allow-all",
    "--unstable-net",
    new URL("./_hub_process.ts", import.meta.url).pathname,
    dir,
    "--many",
    String(N),
  ],
  stdout: "piped",
  stderr: "inherit",
}).spawn();
const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
let buf = "";
const t0 = performance.now();
while (!buf.includes("\n")) {
  const r = await reader.read();
  if (r.done) throw new Error("the hub process ended");
  buf += r.value;
}
const hub = JSON.parse(buf.split("\n")[0]);
console.log(
  `enrolled ${N} nodes in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);
const creds: {
  node: string;
  keyPem: string;
  certPem: string;
  caPem: string;
}[] = JSON.parse(await Deno.readTextFile(`${dir}/identities.json`));

const rssKiB = async () => {
  const s = await Deno.readTextFile(`/proc/${hub.pid}/status`);
  return Number(/VmRSS:\s+(\d+)/.exec(s)![1]);
};
// Let the enrollment garbage go before the baseline.
await new Promise((r) => setTimeout(r, 2_000));
const before = await rssKiB();

// deno-lint-ignore no-explicit-any
const sockets: any[] = [];
const open = (c: (typeof creds)[number]) =>
  new Promise<void>((resolve, reject) => {
    const ws = new WebSocket(
      cloudHubUrl(`127.0.0.1:${hub.wsPort}`, PROJECT, c.node),
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
const t1 = performance.now();
const CONCURRENCY = 64;
for (let i = 0; i < creds.length; i += CONCURRENCY) {
  await Promise.all(creds.slice(i, i + CONCURRENCY).map(open));
}
const connectS = (performance.now() - t1) / 1000;
await new Promise((r) => setTimeout(r, 2_000));
const after = await rssKiB();
console.log(
  `${sockets.length} links open in ${connectS.toFixed(1)} s; hub RSS ${
    (before / 1024).toFixed(0)
  } MiB → ${(after / 1024).toFixed(0)} MiB: ${
    ((after - before) / sockets.length).toFixed(1)
  } KiB per connection`,
);
for (const ws of sockets) ws.terminate();
child.kill("SIGTERM");
await child.status;
await Deno.remove(dir, { recursive: true }).catch(() => {});
Deno.exit(0);
