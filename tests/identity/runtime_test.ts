/**
 * The runtime as a real process against the cloudcore stand-in: enrollment
 * from a token file that appears later, status over the admin socket and
 * from the state dir, a hub outage of several renewal periods, a node locked
 * on the hub, clean shutdown, and fatal token problems.
 */
import {
  assert,
  assertEquals,
  assertStringIncludes,
} from "../_fixtures/assert.ts";
import { startCloudcoreStandin } from "../_fixtures/cloudcore_standin.ts";
import { runBinary } from "../_fixtures/cli.ts";
import { fetchAdminStatus } from "../../src/admin/mod.ts";
import type { IdentityStatus } from "../../src/identity/status.ts";
import { loadIdentity } from "../../src/identity/state.ts";
import { openStore } from "../../src/store/mod.ts";
import { caHash } from "../../src/pki/mod.ts";
import { spawnRuntime, writeEdgeConfig } from "./_runtime.ts";
import { waitFor, withTempDir } from "./_helpers.ts";

async function identityStatus(
  socket: string,
): Promise<IdentityStatus | undefined> {
  return (await fetchAdminStatus(socket))?.identity as
    | IdentityStatus
    | undefined;
}

Deno.test({
  name:
    "the runtime waits for the token file, enrolls, reports status, survives a hub outage and a lock, and stops on SIGTERM",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    // Lifetime 8 s + 10 s backdating; renewal at 60 % → about every 0.8 s.
    const hub = await startCloudcoreStandin({
      certTtlMs: 8000,
      trustDomain: "example.org",
    });
    try {
      await withTempDir(async (dir) => {
        const socket = `${dir}/admin.sock`;
        const stateDir = `${dir}/state`;
        const config = await writeEdgeConfig(dir, {
          hubUrl: hub.url,
          tokenFile: `${dir}/token/join`,
          stateDir,
          socketPath: socket,
          renewAfterMin: 0.6,
          renewAfterMax: 0.6,
          backoffInitial: "200ms",
          backoffMax: "800ms",
        });
        await Deno.mkdir(`${dir}/token`);
        const child = await spawnRuntime(config);
        try {
          await waitFor(
            async () =>
              (await identityStatus(socket))?.phase === "waiting-for-token",
            "waiting-for-token",
          );
          // The token appears atomically (write + rename), as provisioning tools do.
          await Deno.writeTextFile(`${dir}/token/.tmp`, await hub.token());
          await Deno.rename(`${dir}/token/.tmp`, `${dir}/token/join`);
          await waitFor(
            async () => (await identityStatus(socket))?.phase === "valid",
            "enrollment",
          );

          const cli = await runBinary("status", "--config", config, "--json");
          assertEquals(cli.code, 0, cli.stderr);
          const report = JSON.parse(cli.stdout);
          assertEquals(report.running, true);
          assertEquals(
            report.identity.spiffeId,
            "spiffe://example.org/node/pi-1",
          );
          assertEquals(report.identity.upstream.reachable, true);
          assert(report.identity.nextRenewal);

          // Hub down for more than three renewal periods.
          await hub.pause();
          // A renewal already in flight may still land: take the serial once
          // an attempt has failed against the paused hub.
          await waitFor(
            async () => ((await identityStatus(socket))?.failures ?? 0) >= 1,
            "a failed attempt",
          );
          const before = (await identityStatus(socket))!.serial;
          await waitFor(
            async () => ((await identityStatus(socket))?.failures ?? 0) >= 5,
            "five failed attempts (about 3 renewal periods)",
          );
          const down = (await identityStatus(socket))!;
          assertEquals(down.phase, "retrying");
          assertEquals(down.upstream.reachable, false);
          assertEquals(down.lastError?.code, "UPSTREAM_UNREACHABLE");
          assertEquals(down.serial, before); // identity kept
          const plain = await runBinary("status", "--config", config);
          assertStringIncludes(plain.stdout, "UNREACHABLE");
          assertStringIncludes(plain.stdout, "retrying with backoff");
          await hub.resume();
          await waitFor(async () => {
            const s = await identityStatus(socket);
            return s?.phase === "valid" && s.serial !== before;
          }, "renewal after the outage");

          // Node locked on the hub: renewal refused, status says so, certificate kept.
          hub.lock("pi-1");
          const locked = (await identityStatus(socket))!.serial;
          await waitFor(
            async () =>
              (await identityStatus(socket))?.lastError?.code ===
                "UPSTREAM_REFUSED",
            "refusal",
          );
          const s = (await identityStatus(socket))!;
          assertStringIncludes(s.lastError!.message, "node is locked");
          assertEquals(s.serial, locked);
          assertEquals(
            (await loadIdentity(await openStore(stateDir)))!.leaf.serialHex,
            locked,
          );
          hub.unlock("pi-1");
        } finally {
          child.kill("SIGTERM");
        }
        assertEquals((await child.status).code, 0);
        const offline = await runBinary("status", "--config", config);
        assertEquals(offline.code, 0, offline.stderr);
        assertStringIncludes(offline.stdout, "runtime not running");
        assertStringIncludes(offline.stdout, "spiffe://example.org/node/pi-1");
      });
    } finally {
      await hub.close();
    }
  },
});

Deno.test("a token that is not 4 parts stops the runtime with exit 1 and a clear message", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/token`, "abc.def.ghi");
    const config = await writeEdgeConfig(dir, {
      hubUrl: "https://127.0.0.1:9",
      tokenFile: `${dir}/token`,
      stateDir: `${dir}/state`,
      socketPath: `${dir}/admin.sock`,
    });
    const r = await runBinary("run", "--config", config);
    assertEquals(r.code, 1, r.stderr);
    assertStringIncludes(r.stderr, "expected 4 dot-separated parts");
  });
});

Deno.test("a hub whose CA does not match the token stops the runtime with both hashes and no token in the logs", async () => {
  const hub = await startCloudcoreStandin();
  const other = await startCloudcoreStandin();
  try {
    await withTempDir(async (dir) => {
      const token = await other.token();
      await Deno.writeTextFile(`${dir}/token`, token);
      const config = await writeEdgeConfig(dir, {
        hubUrl: hub.url,
        tokenFile: `${dir}/token`,
        stateDir: `${dir}/state`,
        socketPath: `${dir}/admin.sock`,
      });
      const r = await runBinary("run", "--config", config);
      assertEquals(r.code, 1, r.stderr);
      assertStringIncludes(r.stderr, await caHash(hub.ca.cert.der));
      assertStringIncludes(r.stderr, await caHash(other.ca.cert.der));
      assert(
        !r.stderr.includes(token.split(".")[3]),
        "the token reached the logs",
      );
    });
  } finally {
    await hub.close();
    await other.close();
  }
});
