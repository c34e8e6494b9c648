/**
 * Node identity benchmark: (1) process start → node certificate on disk,
 * running the real runtime (the binary's flags) against a local stand-in hub
 * with a fresh state dir and token each time; (2) enrollment and renewal
 * round trips in-process (keygen + CSR + HTTPS + store write).
 *
 * One untimed start comes first, so that no timed start pays for
 * transpiling files changed since the last run (a compiled binary never
 * does).
 *
 * Run: npx -y deno@2.9.6 run --allow-all scripts/bench/identity.ts [runs]
 *
 * `runs` (default 10, about 8 s on a quiet 2-core machine): timed process
 * starts; the in-process part does `5 × runs` enrollments and renewals.
 * Result lines (`_report.ts`): `identity.start_to_cert` (median of the
 * starts), `identity.enrollment`, `identity.renewal` (medians).
 * @module
 */
import { startCloudcoreStandin } from "../../tests/_fixtures/cloudcore_standin.ts";
import {
  spawnRuntime,
  writeEdgeConfig,
} from "../../tests/identity/_runtime.ts";
import { createHubUpstream } from "../../src/identity/upstream/hub.ts";
import { parseJoinToken } from "../../src/identity/token.ts";
import { saveIdentity } from "../../src/identity/state.ts";
import { generateKeyPair } from "../../src/pki/mod.ts";
import { openStore } from "../../src/store/mod.ts";
import { report } from "./_report.ts";

const runs = Number(Deno.args[0] ?? 10);
if (!Number.isInteger(runs) || runs < 1) {
  console.error("usage: identity.ts [runs ≥ 1]");
  Deno.exit(2);
}

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, p90: q(0.9), min: s[0], max: s[s.length - 1] };
}
const round = (x: number) => Math.round(x * 10) / 10;
const fmt = (o: ReturnType<typeof stats>) =>
  `median ${o.median.toFixed(1)} ms, p90 ${o.p90.toFixed(1)} ms (min ${
    o.min.toFixed(1)
  }, max ${o.max.toFixed(1)})`;

const hub = await startCloudcoreStandin();

/** Start the runtime with a fresh state dir and token; ms until the identity unit exists. */
async function startToCertificate(): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "edge-bench-" });
  await Deno.writeTextFile(`${dir}/token`, await hub.token());
  const config = await writeEdgeConfig(dir, {
    hubUrl: hub.url,
    tokenFile: `${dir}/token`,
    stateDir: `${dir}/state`,
    socketPath: `${dir}/admin.sock`,
  });
  const t0 = performance.now();
  const child = await spawnRuntime(config);
  for (;;) {
    try {
      await Deno.stat(`${dir}/state/identity`);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 1));
    }
  }
  const ms = performance.now() - t0;
  child.kill("SIGTERM");
  await child.status;
  await Deno.remove(dir, { recursive: true });
  return ms;
}

await startToCertificate(); // warm-up, not counted
const startToDisk: number[] = [];
for (let i = 0; i < runs; i++) startToDisk.push(await startToCertificate());

// Baseline: a bare `deno run` of an empty program (process start cost).
const bare: number[] = [];
const empty = await Deno.makeTempFile({ suffix: ".ts" });
for (let i = 0; i < Math.min(runs, 5); i++) {
  const t0 = performance.now();
  await new Deno.Command(Deno.execPath(), { args: ["run", "--quiet", empty] })
    .output();
  bare.push(performance.now() - t0);
}

const dir = await Deno.makeTempDir({ prefix: "edge-bench-" });
const store = await openStore(`${dir}/state`);
const up = createHubUpstream({ server: hub.url, nodeName: "bench" });
const enroll: number[] = [];
const renew: number[] = [];
let current = await up.enroll({
  keys: await generateKeyPair(),
  token: await parseJoinToken(await hub.token()),
});
for (let i = 0; i < runs * 5; i++) {
  let t0 = performance.now();
  const id = await up.enroll({
    keys: await generateKeyPair(),
    token: await parseJoinToken(await hub.token()),
  });
  await saveIdentity(store, id);
  enroll.push(performance.now() - t0);
  t0 = performance.now();
  current = await up.renew({ keys: await generateKeyPair(), current });
  await saveIdentity(store, current);
  renew.push(performance.now() - t0);
}
await Deno.remove(dir, { recursive: true });
await hub.close();

console.log(`Node identity (${Deno.build.target}, deno ${Deno.version.deno})`);
console.log(
  `- process start → certificate on disk (${runs} runs): ${
    fmt(stats(startToDisk))
  }`,
);
console.log(
  `- bare \`deno run\` of an empty file (start-up floor): ${fmt(stats(bare))}`,
);
console.log(
  `- enrollment in-process (/ca.crt + /edge.crt + store write): ${
    fmt(stats(enroll))
  }`,
);
console.log(
  `- renewal in-process (mTLS /edge.crt + store write): ${fmt(stats(renew))}`,
);
report("identity.start_to_cert", round(stats(startToDisk).median), "ms");
report("identity.enrollment", round(stats(enroll).median), "ms");
report("identity.renewal", round(stats(renew).median), "ms");
