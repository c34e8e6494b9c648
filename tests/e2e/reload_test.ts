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
  fetchSvidIds,
  spawnProgram,
  startSystemHub,
  writeSystemConfigs,
} from "../../scripts/_system.ts";

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
  const hub = await startSystemHub(sys);
  let edge: Awaited<ReturnType<typeof spawnProgram>> | undefined;
  try {
    edge = await spawnProgram(["run", "--config", sys.edgeConfig]);
    const endpoint =
      (await edge.waitFor(/SPIFFE_ENDPOINT_SOCKET=(unix:\/\/\S+)/, 60_000))[1];
    assertEquals(await fetchSvidIds(endpoint), [sys.workloadSpiffeId]);

    const renamed = "spiffe://example.org/workload/renamed";
    const original = await Deno.readTextFile(sys.edgeConfig);
    await Deno.writeTextFile(
      sys.edgeConfig,
      original.replace(sys.workloadSpiffeId, renamed),
    );
    edge.child.kill("SIGHUP");
    assertEquals(
      await until(() => fetchSvidIds(endpoint), (ids) => ids[0] === renamed),
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
    assertEquals(await fetchSvidIds(endpoint), [renamed]);
    assert(edge.child.pid > 0);
  } finally {
    await edge?.stop();
    await hub.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
