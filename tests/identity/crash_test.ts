/**
 * Crash safety with real processes: the runtime is SIGKILLed at random
 * moments during bootstrap and during renewals (short certificate lifetimes
 * make it renew every few hundred ms). After every kill the identity unit in
 * the state dir is loaded: key and certificate match, the certificate is one
 * the hub issued (old or new, never a mix), and once an identity existed it
 * never disappears.
 */
import { assert, assertEquals } from "../_fixtures/assert.ts";
import { startCloudcoreStandin } from "../_fixtures/cloudcore_standin.ts";
import { loadIdentity } from "../../src/identity/state.ts";
import { openStore } from "../../src/store/mod.ts";
import { verifyCertificateSignature } from "../../src/pki/mod.ts";
import { spawnRuntime, writeEdgeConfig } from "./_runtime.ts";
import { waitFor, withTempDir } from "./_helpers.ts";

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

const KILLS_PER_LANE = 26; // two lanes in parallel: 52 kills

/** Deterministic PRNG (mulberry32) so a failing run can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function lane(
  seed: number,
): Promise<{ kills: number; withIdentity: number }> {
  const hub = await startCloudcoreStandin({
    certTtlMs: 2000,
    graceAfterExpiryMs: 3_600_000,
  });
  const issued = new Set<string>();
  const rand = prng(seed);
  try {
    return await withTempDir(async (dir) => {
      const tokenFile = `${dir}/token`;
      await Deno.writeTextFile(tokenFile, await hub.token());
      const stateDir = `${dir}/state`;
      const config = await writeEdgeConfig(dir, {
        hubUrl: hub.url,
        tokenFile,
        stateDir,
        socketPath: `${dir}/admin.sock`,
        // Lifetime 12 s (2 s + the issuer's 10 s backdating): due at once,
        // so the runtime renews back to back, every ≥ 30 ms.
        renewAfterMin: 0.83,
        renewAfterMax: 0.84,
        backoffInitial: "30ms",
        backoffMax: "400ms",
      });
      let seenSerial: string | undefined;
      let withIdentity = 0;
      for (let i = 0; i < KILLS_PER_LANE; i++) {
        const child = await spawnRuntime(config);
        // Early kills land in start-up/bootstrap, later ones among renewals:
        // on a slow (loaded) machine the first enrollment may need more than
        // four runs, so the later runs first let it finish.
        if (i >= 4 && seenSerial === undefined) {
          await waitFor(
            () => exists(`${stateDir}/identity`),
            "the first enrollment",
          );
        }
        const delay = i < 4 ? 250 + rand() * 400 : 450 + rand() * 700;
        await new Promise((r) => setTimeout(r, delay));
        child.kill("SIGKILL");
        const status = await child.status;
        assertEquals(
          status.signal,
          "SIGKILL",
          `run ${i} ended before the kill`,
        );

        const store = await openStore(stateDir);
        const id = await loadIdentity(store); // validates key ↔ certificate
        if (seenSerial !== undefined) {
          assert(id, `run ${i}: the identity disappeared after a kill`);
        }
        if (id) {
          withIdentity++;
          assert(
            await verifyCertificateSignature(id.leaf, hub.ca.cert),
            `run ${i}: the stored certificate is not the hub's`,
          );
          assertEquals(id.caBundle[0].serialHex, hub.ca.cert.serialHex);
          issued.add(id.leaf.serialHex);
          seenSerial = id.leaf.serialHex;
        }
      }
      assert(
        hub.counts.renewals >= KILLS_PER_LANE / 2,
        `only ${hub.counts.renewals} renewals happened`,
      );
      return { kills: KILLS_PER_LANE, withIdentity };
    });
  } finally {
    await hub.close();
  }
}

Deno.test({
  name:
    "52 SIGKILLs during bootstrap and renewal never leave a mismatched, foreign or missing identity",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const results = await Promise.all([lane(1), lane(2)]);
    const kills = results.reduce((n, r) => n + r.kills, 0);
    assert(kills >= 50);
    for (const r of results) {
      assert(r.withIdentity >= r.kills - 4, JSON.stringify(r));
    }
  },
});
