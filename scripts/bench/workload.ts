/**
 * Workload API benchmarks: FetchX509SVID latency with a cached SVID as seen
 * by a Node.js grpc-js client, RSS per held stream, local X509-SVID
 * issuance rate (one core: a sequential loop of keygen + sign + PKCS#8 per
 * SVID), JWT-SVID mint (uncached and cached) and validate rates.
 *
 *   npx -y deno@2.9.6 run --allow-all scripts/bench/workload.ts \
 *     [--seconds S=2] [--calls N=2000] [--streams N=500] [--profile] \
 *     [--cpu-prof FILE]
 *
 * `--seconds` is the time spent on each rate (issuance gets 1.5x); the
 * defaults run in ~15 s. `--profile` adds the CPU time per step of one
 * issuance (process CPU, all threads; stable under load where wall rates
 * are not). `--cpu-prof FILE` writes a V8 CPU profile (`.cpuprofile`) of
 * the issuance loop.
 * @module
 */
import process from "node:process";
import inspector from "node:inspector";
import { parseArgs } from "node:util";
import { createTestCa } from "../../tests/workloadapi/_ca.ts";
import {
  createIntermediateHolder,
  issueX509Svid,
  JwtSvidAuthority,
  type NodeIntermediate,
} from "../../src/svid/mod.ts";
import {
  issueCertificate,
  P256PrivateKey,
  signEcdsaP256,
  warmUpP256Signer,
} from "../../src/pki/mod.ts";
import { startWorkloadApi } from "../../src/workloadapi/mod.ts";
import { PROTO_PATH } from "../../src/workloadapi/server.ts";
import { report } from "./_report.ts";

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    seconds: { type: "string", default: "2" },
    calls: { type: "string", default: "2000" },
    streams: { type: "string", default: "500" },
    profile: { type: "boolean", default: false },
    "cpu-prof": { type: "string" },
  },
});
const SECONDS = Number(args.seconds);
const CALLS = Number(args.calls);
const STREAMS = Number(args.streams);
if (!(SECONDS > 0 && CALLS > 0 && STREAMS > 0)) {
  console.error(
    "usage: workload.ts [--seconds S] [--calls N] [--streams N] [--profile] [--cpu-prof FILE]",
  );
  Deno.exit(2);
}

const TD = "example.org";
const ID = `spiffe://${TD}/w`;
const CLIENT = new URL("./_workload_client.cjs", import.meta.url).pathname;
const deps = await new Deno.Command("bash", {
  args: [new URL("../interop-deps.sh", import.meta.url).pathname, "node"],
  stderr: "inherit",
}).output();
const NODE_PATH = `${
  new TextDecoder().decode(deps.stdout).trim()
}/node/node_modules`;

/** Calls per second of `fn`, run back to back for `seconds`. */
async function rate(seconds: number, fn: () => Promise<unknown>) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let n = 0;
  while (performance.now() - t0 < seconds * 1000) {
    await fn();
    n++;
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  return {
    perSec: Math.round((n / ms) * 1000),
    cpuUsPerOp: Math.round((cpu.user + cpu.system) / n),
  };
}

/** Median CPU µs per call of each step, rounds interleaved. */
async function cpuSteps(
  steps: Record<string, () => Promise<unknown> | unknown>,
  rounds = 7,
  n = 150,
) {
  const samples: Record<string, number[]> = {};
  for (let r = -1; r < rounds; r++) { // round -1 warms the JIT
    for (const [name, fn] of Object.entries(steps)) {
      const c0 = process.cpuUsage();
      for (let i = 0; i < n; i++) await fn();
      const c = process.cpuUsage(c0);
      if (r >= 0) (samples[name] ??= []).push((c.user + c.system) / n);
    }
  }
  return Object.fromEntries(
    Object.entries(samples).map((
      [k, v],
    ) => [k, Math.round(v.sort((a, b) => a - b)[v.length >> 1])]),
  );
}

/** Per-step CPU cost of one X509-SVID (what the issuance rate is made of). */
async function issuanceProfile(intermediate: NodeIntermediate) {
  const key = await P256PrivateKey.generate();
  const spki = key.encodeSpkiDer();
  const tbs = new Uint8Array(480); // a leaf TBSCertificate is ~450 bytes
  const webCryptoKey = (await crypto.subtle.generateKey(
    { name: "ECDSA", namedCurve: "P-256" },
    false,
    ["sign"],
  ) as CryptoKeyPair).privateKey;
  const steps = await cpuSteps({
    "whole SVID": () =>
      issueX509Svid({ intermediate, spiffeId: ID, ttlMs: 3_600_000 }),
    "keygen (libcrypto)": () => P256PrivateKey.generate(),
    "issueCertificate (encode + sign)": () =>
      issueCertificate({
        issuer: intermediate,
        subjectPublicKey: spki,
        profile: "leaf",
        uris: [ID],
        extKeyUsages: ["serverAuth", "clientAuth"],
        ttlMs: 3_600_000,
      }),
    "sign, libcrypto": () => signEcdsaP256(intermediate.keys.privateKey, tbs),
    "sign, Web Crypto (fallback)": () =>
      crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, webCryptoKey, tbs),
    "PKCS#8 encode": () => key.encodePkcs8Der(),
  });
  return {
    ...steps,
    "certificate encode, checks, view (issueCertificate − sign)":
      steps["issueCertificate (encode + sign)"] - steps["sign, libcrypto"],
  };
}

async function withCpuProfile<T>(file: string, fn: () => Promise<T>) {
  const session = new inspector.Session();
  session.connect();
  const post = (method: string) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, (err, res) => err ? reject(err) : resolve(res))
    );
  await post("Profiler.enable");
  await post("Profiler.start");
  try {
    return await fn();
  } finally {
    const { profile } = await post("Profiler.stop") as { profile: unknown };
    await Deno.writeTextFile(file, JSON.stringify(profile));
    session.disconnect();
    console.error(`issuance CPU profile written to ${file}`);
  }
}

const ca = await createTestCa(TD);
const intermediate = await ca.intermediate();
const results: Record<string, unknown> = {};

// 1. local issuance, one core (sequential), steady state: libcrypto is
//    open (in the runtime it opens after a burst of signatures).
const engine = await warmUpP256Signer();
console.error(`P-256 keys and signatures: ${engine}`);
const issueOne = () =>
  issueX509Svid({ intermediate, spiffeId: ID, ttlMs: 3_600_000 });
for (let i = 0; i < 200; i++) await issueOne();
const issuanceRun = () => rate(SECONDS * 1.5, issueOne);
const issuance = args["cpu-prof"]
  ? await withCpuProfile(args["cpu-prof"], issuanceRun)
  : await issuanceRun();
results.issuance = issuance;
if (args.profile) {
  results.issuanceCpuUsPerStep = await issuanceProfile(intermediate);
}

// 2. JWT mint (uncached: a new audience each time), cached, validate
const jwt = await JwtSvidAuthority.create({ trustDomain: TD });
let k = 0;
for (let i = 0; i < 200; i++) await jwt.mint(ID, [`warm-${i}`]);
results.jwtMint = await rate(SECONDS, () => jwt.mint(ID, [`aud-${k++}`]));
const { token } = await jwt.mint(ID, ["db"]);
results.jwtValidate = await rate(SECONDS, () => jwt.validate(token, "db"));
results.jwtMintCached = await rate(SECONDS / 2, () => jwt.mint(ID, ["db"]));

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
  args: [CLIENT, PROTO_PATH, socket, "latency", String(CALLS)],
  env: { NODE_PATH },
  stdout: "piped",
  stderr: "inherit",
}).output();
const fetch = JSON.parse(new TextDecoder().decode(lat.stdout)) as {
  n: number;
  p50: number;
  p99: number;
};
results.fetchX509Svid = fetch;

const before = Deno.memoryUsage().rss;
const holder = new Deno.Command("node", {
  args: [CLIENT, PROTO_PATH, socket, "hold", String(STREAMS), "50"],
  env: { NODE_PATH },
  stdin: "piped",
  stdout: "piped",
}).spawn();
const reader = holder.stdout.pipeThrough(new TextDecoderStream()).getReader();
let line = "";
while (!line.includes("ready")) line += (await reader.read()).value ?? "";
await new Promise((r) => setTimeout(r, 500));
const after = Deno.memoryUsage().rss;
const rssPerStreamKiB = +((after - before) / STREAMS / 1024).toFixed(1);
results.heldStreams = {
  streams: api.server.streams,
  connections: api.server.connections,
  rssBeforeMiB: +(before / 2 ** 20).toFixed(1),
  rssAfterMiB: +(after / 2 ** 20).toFixed(1),
  rssPerStreamKiB,
};
await holder.stdin.close();
await holder.status;
reader.releaseLock();
await api.close();
await Deno.remove(dir, { recursive: true });
console.log(JSON.stringify(results, null, 2));

report("workload.fetch_p50", +fetch.p50.toFixed(3), "ms");
report("workload.fetch_p99", +fetch.p99.toFixed(3), "ms");
report("workload.stream_rss", rssPerStreamKiB, "KiB");
report("workload.issuance", issuance.perSec, "/s");
report(
  "workload.jwt_mint",
  (results.jwtMint as { perSec: number }).perSec,
  "/s",
);
report(
  "workload.jwt_mint_cached",
  (results.jwtMintCached as { perSec: number }).perSec,
  "/s",
);
report(
  "workload.jwt_validate",
  (results.jwtValidate as { perSec: number }).perSec,
  "/s",
);
Deno.exit(0);
