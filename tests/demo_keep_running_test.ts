import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "./_fixtures/assert.ts";
import { runBinary } from "./_fixtures/cli.ts";
import { fromBase64 } from "../src/bytes.ts";
import { parseCertificateChainDer } from "../src/pki/mod.ts";

const root = new URL("..", import.meta.url).pathname;
const KEYS = [
  "SPIFFE_ENDPOINT_SOCKET",
  "HUB_ENROLL_URL",
  "HUB_CONFIG",
  "EDGE_CONFIG",
  "HUB_STATE_DIR",
  "EDGE_STATE_DIR",
  "NODE_NAME",
  "MESSAGE_SOCKET",
  "WORKLOAD_UID",
  "WORKLOAD_SPIFFE_ID",
] as const;

/** `deno task demo --keep-running` with its output collected. */
function startDemo() {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "demo", "--keep-running"],
    cwd: root,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let out = "", err = "";
  let exited = false;
  const done = Promise.all([
    (async () => {
      for await (const t of child.stdout.pipeThrough(new TextDecoderStream())) {
        out += t;
      }
    })(),
    (async () => {
      for await (const t of child.stderr.pipeThrough(new TextDecoderStream())) {
        err += t;
      }
    })(),
  ]).finally(() => exited = true);
  /** Wait until stdout matches `re` (fails on exit or after `ms`). */
  async function waitFor(re: RegExp, ms = 120_000) {
    const end = Date.now() + ms;
    for (;;) {
      const m = out.match(re);
      if (m) return m;
      if (exited || Date.now() > end) {
        throw new Error(
          `${
            exited ? "the demo exited" : "timed out"
          } before ${re}:\n${out}${err}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { child, done, waitFor, out: () => out, err: () => err };
}

/** `scripts/demo_workload.ts args…` as a separate process with `env`. */
async function workload(args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-net",
      `${root}scripts/demo_workload.ts`,
      ...args,
    ],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  assertEquals(out.code, 0, dec.decode(out.stdout) + dec.decode(out.stderr));
  return JSON.parse(dec.decode(out.stdout).trim().split("\n")[0]);
}

const isPresent = (p: string) => Deno.stat(p).then(() => true, () => false);

Deno.test("demo --keep-running prints KEY=value lines that other tools can use, prints each message the hub receives, and stops cleanly on SIGTERM", async () => {
  const demo = startDemo();
  try {
    // 1. The KEY=value lines, each on its own line.
    await demo.waitFor(/^WORKLOAD_SPIFFE_ID=.+$/m);
    const env = {} as Record<typeof KEYS[number], string>;
    for (const k of KEYS) {
      env[k] = (await demo.waitFor(new RegExp(`^${k}=(.+)$`, "m")))[1];
    }
    assertMatch(env.SPIFFE_ENDPOINT_SOCKET, /^unix:\/\/\/\S+$/);
    assertMatch(env.HUB_ENROLL_URL, /^https:\/\/127\.0\.0\.1:\d+$/);
    assertEquals(Number(env.WORKLOAD_UID), Deno.uid());
    assertMatch(env.WORKLOAD_SPIFFE_ID, /^spiffe:\/\/example\.org\/\S+$/);
    for (const f of [env.HUB_CONFIG, env.EDGE_CONFIG]) {
      assert((await Deno.stat(f)).isFile, f);
    }
    for (const d of [env.HUB_STATE_DIR, env.EDGE_STATE_DIR]) {
      assert((await Deno.stat(d)).isDirectory, d);
    }
    const socket = env.SPIFFE_ENDPOINT_SOCKET.slice("unix://".length);
    for (const s of [socket, env.MESSAGE_SOCKET]) {
      assert((await Deno.stat(s)).isSocket, s);
    }
    const demoDir = env.HUB_CONFIG.slice(0, env.HUB_CONFIG.lastIndexOf("/"));

    // 2. The enrollment URL answers a real HTTPS client (the hub's CA, DER).
    const curl = await new Deno.Command("curl", {
      args: [
        "-sk",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        `${env.HUB_ENROLL_URL}/ca.crt`,
      ],
      stdout: "piped",
    }).output();
    assertEquals(new TextDecoder().decode(curl.stdout), "200");

    // 3. The configs drive the CLI against the running hub and runtime.
    const nodes = await runBinary("node", "list", "--config", env.HUB_CONFIG);
    assertEquals(nodes.code, 0, nodes.stderr);
    assertStringIncludes(nodes.stdout, env.NODE_NAME);
    const status = await runBinary(
      "status",
      "--config",
      env.EDGE_CONFIG,
      "--json",
    );
    assertEquals(status.code, 0, status.stderr);
    const st = JSON.parse(status.stdout);
    assertEquals(st.running, true, status.stdout);
    assertEquals(st.identity.node, env.NODE_NAME);
    const runtimePid = Number(st.source.match(/pid (\d+)/)[1]);

    // 4. A separate process of this user fetches the sample X.509-SVID.
    const x509 = await workload(["x509", "1"], {
      SPIFFE_ENDPOINT_SOCKET: env.SPIFFE_ENDPOINT_SOCKET,
    });
    const svid = x509.svids[0];
    assertEquals(svid.spiffe_id, env.WORKLOAD_SPIFFE_ID);
    const [leaf] = parseCertificateChainDer(fromBase64(svid.x509_svid));
    assertEquals(leaf.uris, [env.WORKLOAD_SPIFFE_ID]);
    // The same, read by openssl: the URI SAN is the workload's SPIFFE ID.
    const der = await Deno.makeTempFile({ suffix: ".der" });
    await Deno.writeFile(der, leaf.der);
    const ossl = await new Deno.Command("openssl", {
      args: [
        "x509",
        "-inform",
        "DER",
        "-in",
        der,
        "-noout",
        "-ext",
        "subjectAltName",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    await Deno.remove(der);
    assertStringIncludes(
      new TextDecoder().decode(ossl.stdout),
      `URI:${env.WORKLOAD_SPIFFE_ID}`,
    );

    // 5. A message published on MESSAGE_SOCKET is printed by the hub side.
    const content = { temperature: 19.25, id: crypto.randomUUID() };
    const pub = await workload(
      ["publish", "test/keep-running", JSON.stringify(content)],
      { MESSAGE_SOCKET: env.MESSAGE_SOCKET },
    );
    assertEquals(pub.status, 202);
    const line = (await demo.waitFor(
      /^hub received: (\{.*"resource":"test\/keep-running".*\})$/m,
      30_000,
    ))[1];
    const got = JSON.parse(line);
    assertEquals(got.node, env.NODE_NAME);
    assertEquals(got.resource, "test/keep-running");
    assertEquals(got.content, content);

    // 6. SIGTERM (twice, as an impatient operator or a `kill %1` that
    // reaches it twice would): exit 0 only after the clean-up, the runtime
    // process gone, the temp dirs removed.
    demo.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 20));
    try {
      demo.child.kill("SIGTERM");
    } catch { /* already exited */ }
    const code = (await demo.child.status).code;
    await demo.done;
    assertEquals(code, 0, demo.out() + demo.err());
    for (const p of [demoDir, env.HUB_STATE_DIR, env.EDGE_STATE_DIR]) {
      assert(!(await isPresent(p)), `the demo left ${p} behind`);
    }
    assert(
      !(await isPresent(`/proc/${runtimePid}`)),
      `runtime process ${runtimePid} still running`,
    );
    // The join token never appears in the output.
    assert(!/[0-9a-f]{64}\.eyJ/.test(demo.out() + demo.err()));
  } finally {
    // On a failure: let the demo clean up (SIGTERM), then make sure it is gone.
    try {
      demo.child.kill("SIGTERM");
      const late = setTimeout(() => demo.child.kill("SIGKILL"), 15_000);
      await demo.child.status;
      clearTimeout(late);
    } catch { /* already gone */ }
    await demo.done;
  }
});
