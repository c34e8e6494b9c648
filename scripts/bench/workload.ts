/**
 * Workload API benchmarks (results go to BENCHMARKS.md, "Workload API"):
 * FetchX509SVID latency with a cached SVID as seen by a Node.js grpc-js
 * client, RSS per held stream (500 streams), local X509-SVID issuance rate,
 * JWT-SVID mint and validate rates.
 *
 *   npx -y deno@2.9.6 run --allow-all scripts/bench/workload.ts
 */
import { createTestCa } from "../../tests/workloadapi/_ca.ts";
import {
  createIntermediateHolder,
  issueX509Svid,
  JwtSvidAuthority,
} from "../../src/svid/mod.ts";
import { startWorkloadApi } from "../../src/workloadapi/mod.ts";
import { PROTO_PATH } from "../../src/workloadapi/server.ts";

const TD = "example.org";
const CLIENT = new URL("./_workload_client.cjs", import.meta.url).pathname;
const deps = await new Deno.Command("bash", {
  args: [new URL("../interop-deps.sh", import.meta.url).pathname, "node"],
  stderr: "inherit",
}).output();
const NODE_PATH = `${
  new TextDecoder().decode(deps.stdout).trim()
}/node/node_modules`;

function rate(n: number, ms: number) {
  return Math.round((n / ms) * 1000);
}

async function timed(seconds: number, fn: () => Promise<unknown>) {
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  let n = 0;
  while (performance.now() < end) {
    await fn();
    n++;
  }
  return rate(n, performance.now() - t0);
}

const ca = await createTestCa(TD);
const intermediate = await ca.intermediate();
const results: Record<string, unknown> = {};

// 1. local issuance (one core: this loop is sequential)
for (let i = 0; i < 50; i++) {
  await issueX509Svid({
    intermediate,
    spiffeId: `spiffe://${TD}/w`,
    ttlMs: 3_600_000,
  });
}
results.issuancePerSec = await timed(
  3,
  () =>
    issueX509Svid({
      intermediate,
      spiffeId: `spiffe://${TD}/w`,
      ttlMs: 3_600_000,
    }),
);

// 2. JWT mint (uncached: a new audience each time) and validate
const jwt = await JwtSvidAuthority.create({ trustDomain: TD });
let k = 0;
results.jwtMintPerSec = await timed(
  2,
  () => jwt.mint(`spiffe://${TD}/w`, [`aud-${k++}`]),
);
const { token } = await jwt.mint(`spiffe://${TD}/w`, ["db"]);
results.jwtValidatePerSec = await timed(2, () => jwt.validate(token, "db"));
results.jwtCachedMintPerSec = await timed(
  1,
  () => jwt.mint(`spiffe://${TD}/w`, ["db"]),
);

// 3. the server: latency and held streams
const dir = await Deno.makeTempDir();
const socket = `${dir}/w.sock`;
const api = await startWorkloadApi({
  config: {
    enabled: true,
    socketPath: socket,
    socketMode: 0o666,
    svidTtl: 3_600_000,
    jwtSvidTtl: 300_000,
    intermediateTtl: 7 * 86_400_000,
    entries: [{
      spiffeId: `spiffe://${TD}/bench`,
      selectors: [`unix:uid:${Deno.uid()}`],
      ttl: undefined,
      hint: undefined,
      dnsNames: undefined,
    }],
  },
  trustDomain: TD,
  intermediates: createIntermediateHolder(intermediate),
});
await api.x509.settled();
const lat = await new Deno.Command("node", {
  args: [CLIENT, PROTO_PATH, socket, "latency", "2000"],
  env: { NODE_PATH },
  stdout: "piped",
  stderr: "inherit",
}).output();
results.fetchX509Svid = JSON.parse(new TextDecoder().decode(lat.stdout));

const before = Deno.memoryUsage().rss;
const streams = 500;
const holder = new Deno.Command("node", {
  args: [CLIENT, PROTO_PATH, socket, "hold", String(streams), "50"],
  env: { NODE_PATH },
  stdin: "piped",
  stdout: "piped",
}).spawn();
const reader = holder.stdout.pipeThrough(new TextDecoderStream()).getReader();
let line = "";
while (!line.includes("ready")) line += (await reader.read()).value ?? "";
await new Promise((r) => setTimeout(r, 500));
const after = Deno.memoryUsage().rss;
results.heldStreams = {
  streams: api.server.streams,
  connections: api.server.connections,
  rssBeforeMiB: +(before / 2 ** 20).toFixed(1),
  rssAfterMiB: +(after / 2 ** 20).toFixed(1),
  rssPerStreamKiB: +((after - before) / streams / 1024).toFixed(1),
};
await holder.stdin.close();
await holder.status;
reader.releaseLock();
await api.close();
await Deno.remove(dir, { recursive: true });
console.log(JSON.stringify(results, null, 2));
Deno.exit(0);
