/**
 * The hub-side commands as real processes with the binary's flags: `token`,
 * `node`, `hub ca-hash` and `audit verify` against a running hub, and `hub`
 * itself started, printing its CA hash, and stopped by SIGTERM.
 */
import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "../_fixtures/assert.ts";
import { ROOT, runBinary } from "../_fixtures/cli.ts";
import { cliFlags } from "../../scripts/_build.ts";
import { curl, makeCsr, nodeSubject, startTestHub } from "./_hub.ts";

Deno.test("token create/list/revoke and node list/lock talk to the running hub's admin API", async () => {
  await using t = await startTestHub();
  const created = await runBinary(
    "token",
    "create",
    "--node",
    "n1",
    "--ttl",
    "1h",
    "--config",
    t.configFile,
  );
  assertEquals(created.code, 0, created.stderr);
  const token = created.stdout.trim();
  assertEquals(token.split(".").length, 4);
  assertEquals(token.split(".")[0], t.hub.caHash);

  const { csr } = await makeCsr(t.dir, "n1", nodeSubject("n1"));
  const res = await curl(t, {
    path: "/edge.crt",
    bodyFile: csr,
    headers: {
      Authorization: `Bearer ${token.split(".").slice(1).join(".")}`,
      NodeName: "n1",
    },
  });
  assertEquals(res.status, 200, res.text);

  const second = await runBinary(
    "token",
    "create",
    "--node",
    "n2",
    "--config",
    t.configFile,
  );
  const id = t.hub.authority.listTokens().find((x) => x.node === "n2")!.id;
  assertEquals(second.code, 0);
  const revoked = await runBinary(
    "token",
    "revoke",
    id,
    "--config",
    t.configFile,
  );
  assertEquals(revoked.code, 0, revoked.stderr);

  const list = await runBinary("token", "list", "--config", t.configFile);
  assertEquals(list.code, 0, list.stderr);
  assertMatch(list.stdout, /n1\s+used/);
  assertMatch(list.stdout, new RegExp(`${id}\\s+n2\\s+revoked`));

  const locked = await runBinary(
    "node",
    "lock",
    "n1",
    "--config",
    t.configFile,
  );
  assertEquals([locked.code, locked.stdout], [0, "node n1: locked\n"]);
  const nodes = await runBinary("node", "list", "--config", t.configFile);
  assertMatch(nodes.stdout, /^NAME\s+STATE\s+LAST SEEN\s+SERIAL\s+EXPIRES/);
  assertMatch(nodes.stdout, /\nn1\s+locked\s+\S+Z\s+[0-9a-f]+\s+\S+Z\n/);

  const unknown = await runBinary(
    "node",
    "revoke",
    "nope",
    "--config",
    t.configFile,
  );
  assertEquals(unknown.code, 1);
  assertStringIncludes(unknown.stderr, 'no node "nope"');

  const hash = await runBinary("hub", "ca-hash", "--config", t.configFile);
  assertEquals(hash.stdout.trim(), t.hub.caHash);

  const ok = await runBinary("audit", "verify", t.hub.auditPath);
  assertEquals(ok.code, 0, ok.stderr);
  assertMatch(ok.stdout, /^OK: \d+ lines/);
  const tampered = `${t.dir}/tampered.log`;
  const text = await Deno.readTextFile(t.hub.auditPath);
  await Deno.writeTextFile(
    tampered,
    text.replace('"node":"n2"', '"node":"n9"'),
  );
  const bad = await runBinary("audit", "verify", tampered);
  assertEquals(bad.code, 1);
  assertMatch(bad.stderr, /line \d+: content does not match its hash/);
});

Deno.test("token commands without a running hub say how to fix it", async () => {
  const dir = await Deno.makeTempDir();
  const r = await runBinary("token", "list", "--state-dir", `${dir}/state`);
  assertEquals(r.code, 1);
  assertStringIncludes(r.stderr, 'start "edge-runtime hub"');
  await Deno.remove(dir, { recursive: true });
});

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

Deno.test("edge-runtime hub prints its CA hash, serves /ca.crt and stops on SIGTERM", async () => {
  const dir = await Deno.makeTempDir();
  const port = freePort();
  const config = `${dir}/hub.yaml`;
  await Deno.writeTextFile(
    config,
    `stateDir: ${dir}/state\nadmin:\n  socketPath: ${dir}/admin.sock\nenroll:\n  listen: 127.0.0.1:${port}\nwebsocket:\n  listen: 127.0.0.1:${
      port + 1
    }\n`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      ...await cliFlags(ROOT),
      "src/main.ts",
      "hub",
      "--config",
      config,
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("admin socket:")) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  const m = /CA hash: ([0-9a-f]{64})/.exec(out);
  assert(m, out);
  const ca = await new Deno.Command("curl", {
    args: ["-sSk", `https://127.0.0.1:${port}/ca.crt`],
    stdout: "piped",
  }).output();
  const { sha256Hex } = await import("../../src/bytes.ts");
  assertEquals(await sha256Hex(ca.stdout), m[1]);
  child.kill("SIGTERM");
  const status = await child.status;
  reader.releaseLock();
  await child.stdout.cancel().catch(() => {});
  await child.stderr.cancel();
  assertEquals(status.code, 0);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("edge-runtime hub refuses a listen address not covered by the certificate SANs", async () => {
  const dir = await Deno.makeTempDir();
  const config = `${dir}/hub.yaml`;
  await Deno.writeTextFile(
    config,
    `stateDir: ${dir}/state\nenroll:\n  listen: 127.0.0.2:10002\n`,
  );
  const r = await runBinary("hub", "--config", config);
  assertEquals(r.code, 2);
  assertStringIncludes(
    r.stderr,
    'enroll.listen: host "127.0.0.2" is not in the hub certificate\'s SANs',
  );
  await Deno.remove(dir, { recursive: true });
});
