/**
 * End to end with real processes: a workload publishes 10,000 messages
 * through the runtime's message API to the hub while the hub is restarted
 * twice and the runtime is SIGKILLed once. Every message reaches the hub's
 * sink (its stdout lines) exactly once, in the order each sender sent them.
 * The workload publishes as four senders (four SPIFFE IDs, one connection
 * each), which is what per-sender order is about and keeps the run short.
 * The same scenario runs over WebSocket and over QUIC.
 */
import { assert, assertEquals } from "../_fixtures/assert.ts";
import { cliFlags } from "../../scripts/_build.ts";
import { ROOT } from "../_fixtures/cli.ts";
import { openStore } from "../../src/store/mod.ts";
import { saveIdentity } from "../../src/identity/mod.ts";
import { readAdminCredential } from "../../src/hubserver/mod.ts";
import { createHubUpstream } from "../../src/identity/upstream/hub.ts";
import { parseJoinToken } from "../../src/identity/token.ts";
import { generateKeyPair } from "../../src/pki/mod.ts";
import { freePort, freeUdpPort, waitFor } from "./_harness.ts";

const N = 10_000;
const SENDERS = 4;

/** A child process whose stdout lines are collected. */
function spawn(args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "null",
    env: { NO_COLOR: "1" },
  }).spawn();
  const lines: string[] = [];
  const state = { messages: 0 };
  (async () => {
    let buf = "";
    for await (
      const chunk of child.stdout.pipeThrough(new TextDecoderStream())
    ) {
      buf += chunk;
      const parts = buf.split("\n");
      buf = parts.pop()!;
      for (const l of parts) {
        if (l.startsWith("{")) state.messages++;
        lines.push(l);
      }
    }
  })();
  return { child, lines, state };
}

/** Stage timings on stderr with `DELIVERY_TIMING=1` (finding slow steps). */
const timing = Deno.env.get("DELIVERY_TIMING") === "1";

async function scenario(transport: "websocket" | "quic") {
  const t0 = Date.now();
  const mark = (what: string) => {
    if (timing) console.error(`[${transport}] ${Date.now() - t0} ms ${what}`);
  };
  const dir = await Deno.makeTempDir({ prefix: "edge-delivery-" });
  const flags = await cliFlags(ROOT);
  const enrollPort = freePort();
  const wsPort = freePort();
  const quicPort = freeUdpPort();
  const hubConfig = `${dir}/hub.yaml`;
  await Deno.writeTextFile(
    hubConfig,
    `stateDir: ${dir}/hub\nadmin:\n  socketPath: ${dir}/admin.sock\nenroll:\n  listen: 127.0.0.1:${enrollPort}\nwebsocket:\n  listen: 127.0.0.1:${wsPort}\nquic:\n  enabled: ${
      transport === "quic"
    }\n  listen: 127.0.0.1:${quicPort}\nlog:\n  level: error\n`,
  );
  const edgeConfig = `${dir}/edge.yaml`;
  const socket = `${dir}/messages.sock`;
  await Deno.writeTextFile(
    edgeConfig,
    `node:\n  name: pi-1\nstateDir: ${dir}/edge\nlog:\n  level: error\nhub:\n  transport: ${transport}\n  quicServer: 127.0.0.1:${quicPort}\n  httpServer: https://127.0.0.1:${enrollPort}\n  websocketServer: 127.0.0.1:${wsPort}\n  reconnect:\n    initialDelay: 100ms\n    maxDelay: 500ms\n  messageApi:\n    socketPath: ${socket}\nworkloadApi:\n  enabled: false\n  entries:\n${
      Array.from(
        { length: SENDERS },
        (_, k) =>
          `    - spiffeId: spiffe://example.org/sensor-${k}\n      selectors: ["unix:uid:${Deno.uid()}"]\n`,
      ).join("")
    }`,
  );
  const hubs: ReturnType<typeof spawn>[] = [];
  const startHub = async () => {
    const h = spawn([
      "run",
      "--quiet",
      ...flags,
      "src/main.ts",
      "hub",
      "--config",
      hubConfig,
    ]);
    hubs.push(h);
    await waitFor(
      () => h.lines.some((l) => l.startsWith("CA hash")),
      "hub start",
      30_000,
    );
    return h;
  };
  const stopHub = async (h: ReturnType<typeof spawn>) => {
    h.child.kill("SIGTERM");
    await h.child.status;
  };
  const startEdge = async () => {
    const e = spawn([
      "run",
      "--quiet",
      "--allow-all",
      "--unstable-net",
      "tests/hublink/_edge_node.ts",
      edgeConfig,
    ]);
    await waitFor(() => e.lines.includes("ready"), "runtime start", 30_000);
    return e;
  };
  // Polled often: count, do not parse.
  const count = () => hubs.reduce((n, h) => n + h.state.messages, 0);
  const received = () =>
    hubs.flatMap((h) =>
      h.lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l))
    );

  let hub = await startHub();
  let edge: ReturnType<typeof spawn> | undefined;
  let workload: Deno.ChildProcess | undefined;
  try {
    // Enroll pi-1 through the hub's API and store its identity for the runtime.
    const credential = await readAdminCredential(await openStore(`${dir}/hub`));
    const tok = await new Deno.Command("curl", {
      args: [
        "-sS",
        "--unix-socket",
        `${dir}/admin.sock`,
        "-H",
        `Authorization: Bearer ${credential}`,
        "-d",
        '{"node":"pi-1"}',
        "http://localhost/v1/tokens",
      ],
    }).output();
    const { token } = JSON.parse(new TextDecoder().decode(tok.stdout));
    const id = await createHubUpstream({
      server: `https://127.0.0.1:${enrollPort}`,
      nodeName: "pi-1",
    })
      .enroll({
        keys: await generateKeyPair(),
        token: await parseJoinToken(token),
      });
    await saveIdentity(await openStore(`${dir}/edge`), id);

    mark("enrolled");
    edge = await startEdge();
    mark("runtime ready");
    workload = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--allow-all",
        "tests/hublink/_workload.ts",
        socket,
        String(N),
        String(SENDERS),
      ],
      cwd: ROOT,
      stdout: "null",
      stderr: "null",
    }).spawn();

    mark("workload started");
    await waitFor(() => count() >= 2_000, "2,000 messages", 60_000);
    mark("2,000 received");
    await stopHub(hub);
    hub = await startHub(); // restart 1
    mark("hub restarted");
    await waitFor(() => count() >= 4_000, "4,000 messages", 60_000);
    mark("4,000 received");
    edge.child.kill("SIGKILL");
    await edge.child.status;
    edge = await startEdge();
    mark("runtime restarted after SIGKILL");
    await waitFor(() => count() >= 6_000, "6,000 messages", 60_000);
    mark("6,000 received");
    await stopHub(hub);
    hub = await startHub(); // restart 2
    mark("hub restarted");
    assertEquals((await workload.status).code, 0);
    mark("workload done");
    await waitFor(() => count() >= N, `${N} messages`, 60_000);
    mark(`${N} received`);
    await new Promise((r) => setTimeout(r, 500)); // nothing more arrives
    const all = received();
    assertEquals(all.length, N, "every message exactly once");
    assertEquals(new Set(all.map((m) => m.msg_id)).size, N);
    for (let k = 0; k < SENDERS; k++) {
      const mine = all.filter((m) =>
        m.source === `spiffe://example.org/sensor-${k}`
      );
      assertEquals(
        mine.map((m) => [m.content.k, m.content.i]),
        [...Array(N / SENDERS).keys()].map((i) => [k, i]),
        `sender ${k}: every message, in the order sent`,
      );
    }
    assert(all.every((m) => m.node === "pi-1"));
  } finally {
    try {
      workload?.kill();
    } catch { /* finished */ }
    await workload?.status;
    if (edge) {
      try {
        edge.child.kill("SIGTERM");
      } catch { /* gone */ }
      await edge.child.status;
    }
    await stopHub(hub).catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

Deno.test("10,000 messages arrive exactly once and in order across two hub restarts and a runtime SIGKILL (WebSocket)", () =>
  scenario("websocket"));

Deno.test("10,000 messages arrive exactly once and in order across two hub restarts and a runtime SIGKILL (QUIC)", () =>
  scenario("quic"));
