/**
 * Registration entries from the configuration change without a restart:
 * SIGHUP re-reads them; an invalid file changes nothing. Real hub and
 * runtime processes, a real workload process.
 */
import {
  assert,
  assertEquals,
  assertStringIncludes,
} from "../_fixtures/assert.ts";
import {
  ROOT,
  runProgram,
  spawnProgram,
  writeSystemConfigs,
} from "../../scripts/_system.ts";

async function svidIds(endpoint: string): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}/scripts/demo_workload.ts`, "x509", "1"],
    env: { SPIFFE_ENDPOINT_SOCKET: endpoint },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const line = JSON.parse(
    new TextDecoder().decode(out.stdout).trim().split("\n")[0],
  );
  if (!line.svids) return [];
  return line.svids.map((s: { spiffe_id: string }) => s.spiffe_id);
}

async function until<T>(
  fn: () => Promise<T>,
  ok: (v: T) => boolean,
  ms = 15_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 300));
  }
}

Deno.test("SIGHUP reloads registration entries without a restart; a bad file changes nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "edge-reload-" });
  const sys = await writeSystemConfigs(dir);
  const hub = await spawnProgram(["hub", "--config", sys.hubConfig]);
  let edge: Awaited<ReturnType<typeof spawnProgram>> | undefined;
  try {
    await hub.waitFor(/admin socket:/);
    const token = await runProgram([
      "token",
      "create",
      "--node",
      sys.nodeName,
      "--config",
      sys.hubConfig,
    ]);
    await Deno.writeTextFile(`${dir}/join-token`, token, { mode: 0o600 });
    edge = await spawnProgram(["run", "--config", sys.edgeConfig]);
    const endpoint =
      (await edge.waitFor(/SPIFFE_ENDPOINT_SOCKET=(unix:\/\/\S+)/, 60_000))[1];
    assertEquals(await svidIds(endpoint), [sys.workloadSpiffeId]);

    const renamed = "spiffe://example.org/workload/renamed";
    const original = await Deno.readTextFile(sys.edgeConfig);
    await Deno.writeTextFile(
      sys.edgeConfig,
      original.replace(sys.workloadSpiffeId, renamed),
    );
    edge.child.kill("SIGHUP");
    assertEquals(
      await until(() => svidIds(endpoint), (ids) => ids[0] === renamed),
      [renamed],
    );

    await Deno.writeTextFile(
      sys.edgeConfig,
      original.replace("selectors:", "selectorz:"),
    );
    edge.child.kill("SIGHUP");
    await until(
      () => Promise.resolve(edge!.stderr()),
      (e) => e.includes("configuration not reloaded"),
    );
    assertStringIncludes(edge.stderr(), "configuration not reloaded");
    assertEquals(await svidIds(endpoint), [renamed]);
    assert(edge.child.pid > 0);
  } finally {
    await edge?.stop();
    await hub.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
