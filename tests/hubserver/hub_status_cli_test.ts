/**
 * `edge-runtime hub status` and the hub's admin socket with real processes
 * and the binary's flags: a hub process, a device runtime process that
 * enrolls with a join token and opens its hub link, `hub status` in plain
 * words and JSON while it runs and after it stops, and its usage errors.
 */
import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "../_fixtures/assert.ts";
import { runBinary } from "../_fixtures/cli.ts";
import {
  type Proc,
  spawnProgram,
  writeSystemConfigs,
} from "../../scripts/_system.ts";
import { curlSocket, sample, scrape } from "./_admin_socket.ts";
import { promlint } from "./_promlint.ts";

async function hubStatusJson(config: string) {
  const r = await runBinary("hub", "status", "--config", config, "--json");
  assertEquals(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

Deno.test("hub status reports a running hub process, its enrolled and connected node, and the hub stopped", async () => {
  const dir = await Deno.makeTempDir({ prefix: "edge-hub-status-" });
  const procs: Proc[] = [];
  try {
    const sys = await writeSystemConfigs(dir);
    const socket = `${dir}/hub-admin.sock`;
    const hub = await spawnProgram(["hub", "--config", sys.hubConfig]);
    procs.push(hub);
    const caHash = (await hub.waitFor(/CA hash: ([0-9a-f]{64})/))[1];
    await hub.waitFor(/admin socket:/);

    const token = await runBinary(
      "token",
      "create",
      "--node",
      sys.nodeName,
      "--config",
      sys.hubConfig,
    );
    assertEquals(token.code, 0, token.stderr);
    await Deno.writeTextFile(`${dir}/join-token`, token.stdout.trim() + "\n", {
      mode: 0o600,
    });
    const edge = await spawnProgram(["run", "--config", sys.edgeConfig]);
    procs.push(edge);
    // Wait until the runtime has enrolled and its hub link is up.
    for (let i = 0;; i++) {
      const now = JSON.parse((await curlSocket(socket, "/status")).body);
      if (now.links.connected.websocket === 1) break;
      assert(i < 600, `the runtime did not connect:\n${edge.stderr()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const s = await hubStatusJson(sys.hubConfig);
    assertEquals(s.running, true);
    assertEquals(s.status.ca.hash, caHash);
    assertEquals(s.status.ready, { ready: true, reasons: [] });
    assertEquals(s.status.nodes, {
      active: 1,
      locked: 0,
      revoked: 0,
      total: 1,
    });
    assertEquals(s.status.tokens.used, 1);
    assertEquals(s.status.links.connected, { websocket: 1 });
    assertEquals(s.status.counters.enrollments.ok, 1);
    assertEquals(s.status.counters.intermediates.ok, 1);
    assertEquals(s.status.listeners.enrollment, {
      address: sys.enrollUrl,
      listening: true,
    });

    const plain = await runBinary("hub", "status", "--config", sys.hubConfig);
    assertEquals(plain.code, 0, plain.stderr);
    const o = plain.stdout;
    assertMatch(o, /^source: +running hub \(pid \d+, .*hub-admin\.sock\)\n/);
    assertMatch(o, /\nready: +yes\n/);
    assertStringIncludes(o, `\nCA hash:       ${caHash}\n`);
    assertMatch(o, /\nCA: +CN=edge-runtime CA, not after \S+Z \(in 3650d\)\n/);
    assertMatch(o, /\nTLS cert: +serial [0-9a-f]+, not after \S+Z \(in 7d\)\n/);
    assertMatch(o, /\nTLS renewal: +\S+Z \(in [45]d\)\n/);
    assertStringIncludes(o, `\nenrollment:    ${sys.enrollUrl} up\n`);
    assertMatch(o, /\nnode links: +websocket 127\.0\.0\.1:\d+ up\n/);
    assertStringIncludes(
      o,
      "\nnodes:         1 (1 active, 0 locked, 0 revoked)\n",
    );
    assertStringIncludes(o, "\nconnected:     1 node (websocket 1)\n");
    assertStringIncludes(o, "\nenrollments:   1 ok\n");

    const text = await scrape(socket);
    assertEquals(await promlint(text), [], text);
    assertEquals(
      sample(text, 'edge_runtime_hub_node_links{transport="websocket"}'),
      1,
    );
    assertEquals(sample(text, "edge_runtime_hub_tokens_used_total"), 1);

    // The runtime stops: its link is counted as disconnected.
    assertEquals(await edge.stop(), 0);
    for (let i = 0; i < 100; i++) {
      const m = await scrape(socket);
      if (
        sample(m, 'edge_runtime_hub_node_links{transport="websocket"}') === 0
      ) {
        assertEquals(
          sample(
            m,
            'edge_runtime_hub_node_link_disconnects_total{transport="websocket"}',
          ),
          1,
        );
        break;
      }
      assert(i < 99, "the link was not seen closing");
      await new Promise((r) => setTimeout(r, 50));
    }

    // The hub stops: hub status says so and reads the state dir.
    assertEquals(await hub.stop(), 0);
    const down = await runBinary("hub", "status", "--config", sys.hubConfig);
    assertEquals(down.code, 0, down.stderr);
    assertMatch(down.stdout, /^source: +state dir .* \(no hub answers on /);
    assertStringIncludes(down.stdout, "\nhub:           NOT RUNNING\n");
    assertStringIncludes(down.stdout, `\nCA hash:       ${caHash}\n`);
    assertStringIncludes(
      down.stdout,
      "\nnodes:         1 (1 active, 0 locked, 0 revoked)\n",
    );
    const downJson = await hubStatusJson(sys.hubConfig);
    assertEquals(downJson.running, false);
    assertEquals(downJson.ca.hash, caHash);
  } finally {
    await Promise.all(procs.map((p) => p.stop().catch(() => 0)));
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("hub status has --help, and usage errors exit 2", async () => {
  const help = await runBinary("hub", "status", "--help");
  assertEquals(help.code, 0);
  assertStringIncludes(
    help.stdout,
    "edge-runtime hub status --config FILE [--json]",
  );
  assertStringIncludes(help.stdout, "Exit codes:");
  const noConfig = await runBinary("hub", "status");
  assertEquals(noConfig.code, 2);
  assertStringIncludes(noConfig.stderr, "missing --config HUB_FILE");
  const json = await runBinary(
    "hub",
    "--json",
    "--config",
    "/nonexistent.yaml",
  );
  assertEquals(json.code, 2);
  assertStringIncludes(json.stderr, '--json is only for "hub status"');
  const missing = await runBinary(
    "hub",
    "status",
    "--config",
    "/nonexistent.yaml",
  );
  assertEquals(missing.code, 2);
});

Deno.test("hub status of a hub that never started says there is no CA yet", async () => {
  const dir = await Deno.makeTempDir({ prefix: "edge-hub-status-" });
  try {
    const config = `${dir}/hub.yaml`;
    await Deno.writeTextFile(
      config,
      `stateDir: ${dir}/state\nadmin:\n  socketPath: ${dir}/admin.sock\n`,
    );
    const r = await runBinary("hub", "status", "--config", config);
    assertEquals(r.code, 0, r.stderr);
    assertStringIncludes(r.stdout, "\nhub:           NOT RUNNING\n");
    assertStringIncludes(r.stdout, "\nCA:            none yet");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
