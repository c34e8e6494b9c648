/**
 * The Vault/OpenBao upstream against a stand-in that follows Vault's
 * documented API (and rejects what Vault rejects): /sign with our CSR and
 * the node's SPIFFE ID, clear errors for 403, role restrictions, a sealed
 * Vault and an unreachable one, token re-read on atomic replacement,
 * renew-self at 2/3 of the token TTL, Vault's TLS checked against caFile.
 */
import {
  assert,
  assertEquals,
  assertStringIncludes,
} from "../_fixtures/assert.ts";
import {
  startVaultStandin,
  type VaultStandin,
} from "../_fixtures/vault_standin.ts";
import { createVaultUpstream } from "../../src/identity/upstream/vault.ts";
import { tokenRenewDelayMs } from "../../src/identity/upstream/vault_token.ts";
import { IdentityEvents } from "../../src/identity/events.ts";
import { IdentityManager } from "../../src/identity/scheduler.ts";
import { loadIdentity } from "../../src/identity/state.ts";
import {
  generateKeyPair,
  verifyCertificateSignature,
} from "../../src/pki/mod.ts";
import { rejectsWith, tempStore, waitFor, withTempDir } from "./_helpers.ts";
import { spawnRuntime, writeEdgeConfig } from "./_runtime.ts";

const TOKEN = "hvs.standinTokenAAAAAAAAAAAAAAAAAAAA";

async function withVault(fn: (v: VaultStandin, dir: string) => Promise<void>) {
  const v = await startVaultStandin();
  v.roles.set("edge-node", {
    allowed_uri_sans: ["spiffe://example.org/node/*"],
    allow_any_name: true,
  });
  v.addToken(TOKEN, { ttl: 3600, renewable: true });
  try {
    await withTempDir(async (dir) => {
      await Deno.writeTextFile(`${dir}/vault-ca.pem`, v.tlsCaPem);
      await Deno.writeTextFile(`${dir}/vault-token`, TOKEN + "\n");
      await fn(v, dir);
    });
  } finally {
    await v.close();
  }
}

function upstream(v: VaultStandin, dir: string, role = "edge-node") {
  return createVaultUpstream({
    address: v.address,
    mount: "pki",
    role,
    tokenFile: `${dir}/vault-token`,
    ttlMs: 86_400_000,
    caFile: `${dir}/vault-ca.pem`,
    nodeName: "pi-1",
    trustDomain: "example.org",
  });
}

Deno.test("Vault signs our CSR with the node's SPIFFE ID; the private key never leaves the device", async () => {
  await withVault(async (v, dir) => {
    const keys = await generateKeyPair();
    const id = await upstream(v, dir).enroll({ keys });
    assertEquals(id.leaf.uris, ["spiffe://example.org/node/pi-1"]);
    assertEquals(id.upstream, "vault");
    assert(await verifyCertificateSignature(id.leaf, v.pkiRoot.cert));
    assertEquals(id.caBundle[0].serialHex, v.pkiRoot.cert.serialHex);
    const body = JSON.parse(v.lastSignBody!);
    assertEquals(body.format, "pem");
    assertEquals(body.uri_sans, "spiffe://example.org/node/pi-1");
    assertStringIncludes(body.csr, "BEGIN CERTIFICATE REQUEST");
    assert(!v.lastSignBody!.includes("PRIVATE KEY"));
  });
});

Deno.test("a missing or unknown Vault token is a 403 that names the token file, not the token", async () => {
  await withVault(async (v, dir) => {
    v.revoke(TOKEN);
    const err = await rejectsWith(
      async () => upstream(v, dir).enroll({ keys: await generateKeyPair() }),
      "UPSTREAM_REFUSED",
    );
    assertStringIncludes(err.message, "403 permission denied");
    assertStringIncludes(err.message, `${dir}/vault-token`);
    assert(!err.message.includes(TOKEN));
  });
});

Deno.test("a URI SAN the role does not allow is rejected with the role name and Vault's reason", async () => {
  await withVault(async (v, dir) => {
    v.roles.set("other-td", {
      allowed_uri_sans: ["spiffe://other.org/*"],
      allow_any_name: true,
    });
    const err = await rejectsWith(
      async () =>
        upstream(v, dir, "other-td").enroll({ keys: await generateKeyPair() }),
      "UPSTREAM_REJECTED",
    );
    assertStringIncludes(err.message, 'role "other-td"');
    assertStringIncludes(
      err.message,
      "URI Subject Alternative Name spiffe://example.org/node/pi-1 not allowed by this role",
    );
    assertEquals(v.counts.signs, 0);
  });
});

Deno.test("a sealed Vault and an unreachable Vault give distinct, clear errors", async () => {
  await withVault(async (v, dir) => {
    v.sealed = true;
    const sealed = await rejectsWith(
      async () => upstream(v, dir).enroll({ keys: await generateKeyPair() }),
      "UPSTREAM_UNAVAILABLE",
    );
    assertStringIncludes(sealed.message, "sealed");
    const up = upstream(v, dir);
    await v.close();
    const down = await rejectsWith(
      async () => up.enroll({ keys: await generateKeyPair() }),
      "UPSTREAM_UNREACHABLE",
    );
    assertStringIncludes(down.message, v.address);
  });
});

Deno.test("Vault's TLS certificate is verified against vault.caFile", async () => {
  await withVault(async (v, dir) => {
    const other = await startVaultStandin();
    try {
      await Deno.writeTextFile(`${dir}/vault-ca.pem`, other.tlsCaPem);
      const err = await rejectsWith(
        async () => upstream(v, dir).enroll({ keys: await generateKeyPair() }),
        "UPSTREAM_UNREACHABLE",
      );
      assertStringIncludes(err.message, "TLS verification failed");
    } finally {
      await other.close();
    }
  });
});

Deno.test("a token file replaced atomically by another tool is picked up on the next request", async () => {
  await withVault(async (v, dir) => {
    const up = upstream(v, dir);
    await up.enroll({ keys: await generateKeyPair() });
    const next = "hvs.rotatedTokenBBBBBBBBBBBBBBBBBBBBBBB";
    v.addToken(next, { ttl: 3600, renewable: true });
    v.revoke(TOKEN);
    await Deno.writeTextFile(`${dir}/vault-token.tmp`, next);
    await Deno.rename(`${dir}/vault-token.tmp`, `${dir}/vault-token`);
    await up.renew({
      keys: await generateKeyPair(),
      current: undefined as never,
    });
    assertEquals(v.counts.signs, 2);
  });
});

Deno.test("tokenRenewDelayMs() renews at 2/3 of the remaining TTL", () => {
  assertEquals(tokenRenewDelayMs(3600), 2_400_000);
  assertEquals(tokenRenewDelayMs(3), 2000);
  assertEquals(tokenRenewDelayMs(0.1), 1000); // floor of 1 s
});

Deno.test("the Vault token is renewed with renew-self before it expires", async () => {
  await withVault(async (v, dir) => {
    const short = "hvs.shortLivedTokenCCCCCCCCCCCCCCCCCCCC";
    v.addToken(short, { ttl: 2, renewable: true });
    await Deno.writeTextFile(`${dir}/vault-token`, short);
    const up = upstream(v, dir);
    const ac = new AbortController();
    up.start!(ac.signal);
    await waitFor(() => v.counts.renewals >= 2, "two renew-self calls", 8000);
    // Past the original 2 s TTL the token still works.
    await up.enroll({ keys: await generateKeyPair() });
    ac.abort();
    assert(v.counts.lookups >= 1);
  });
});

Deno.test("with the Vault upstream the first start enrolls without a join token", async () => {
  await withVault(async (v, dir) => {
    const store = await tempStore(dir);
    const manager = new IdentityManager({
      nodeName: "pi-1",
      trustDomain: "example.org",
      store,
      upstream: upstream(v, dir),
      events: new IdentityEvents(),
      policy: {
        renewAfterMin: 0.7,
        renewAfterMax: 0.9,
        backoffInitial: 2000,
        backoffMax: 32000,
      },
    });
    const id = await manager.start(new AbortController().signal);
    assertEquals(
      (await loadIdentity(store))!.leaf.serialHex,
      id.leaf.serialHex,
    );
    assertEquals(manager.status().spiffeId, "spiffe://example.org/node/pi-1");
    assertEquals(manager.status().upstream.kind, "vault");
  });
});

Deno.test("a runtime with the Vault upstream and the Workload API on enrolls and says that X.509 SVIDs need the hub", async () => {
  await withVault(async (v, dir) => {
    const config = await writeEdgeConfig(dir, {
      hubUrl: "https://127.0.0.1:9", // unused with the Vault upstream
      tokenFile: `${dir}/unused-token`,
      stateDir: `${dir}/state`,
      socketPath: `${dir}/admin.sock`,
      extra: `vault:
  address: ${v.address}
  role: edge-node
  tokenFile: ${dir}/vault-token
  caFile: ${dir}/vault-ca.pem
`,
    });
    // the Vault upstream, and the Workload API on
    await Deno.writeTextFile(
      config,
      (await Deno.readTextFile(config))
        .replace("identity:\n", "identity:\n  upstream: vault\n")
        .replace(
          "workloadApi:\n  enabled: false",
          `workloadApi:\n  socketPath: ${dir}/workload.sock`,
        )
        .replace(/^ {2}tokenFile: .*unused-token\n/m, ""),
    );
    const child = await spawnRuntime(config, "piped");
    const stderr = new Response(child.stderr).text();
    try {
      await waitFor(
        async () => {
          try {
            return (await Deno.stat(`${dir}/state/identity`)).isFile;
          } catch {
            return false;
          }
        },
        "the node identity on disk",
        30_000,
      );
      await waitFor(
        async () => {
          try {
            return (await Deno.stat(`${dir}/workload.sock`)).isSocket === true;
          } catch {
            return false;
          }
        },
        "the Workload API socket",
        30_000,
      );
    } finally {
      child.kill("SIGTERM");
      await child.status;
    }
    const log = await stderr;
    assertEquals(v.counts.signs, 1, log);
    const warning = log.split("\n").find((l) =>
      l.includes("the Workload API has no node intermediate")
    );
    assert(warning !== undefined, log);
    assertEquals(JSON.parse(warning).upstream, "vault");
  });
});
