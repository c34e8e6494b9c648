/**
 * Start-up levers of the runtime, on real hub, runtime and workload
 * processes: a restart with an unchanged configuration takes the YAML
 * parse from the state dir (a changed file is parsed again and its change
 * is served), with a stored identity the Workload API listens before the
 * node identity loads and the admin API still comes up (after the Workload
 * API), and the start-up memory trim leaves a working runtime.
 */
import {
  assert,
  assertEquals,
  assertStringIncludes,
} from "../_fixtures/assert.ts";
import {
  fetchSvidIds,
  type Proc,
  spawnProgram,
  startSystemHub,
  writeSystemConfigs,
} from "../../scripts/_system.ts";
import { fetchAdminStatus } from "../../src/admin/mod.ts";

/** The `configParse` of the runtime's "state directory ready" log line. */
function configParse(stderr: string): string | undefined {
  for (const line of stderr.split("\n")) {
    if (!line.includes('"state directory ready"')) continue;
    return JSON.parse(line).configParse;
  }
  return undefined;
}

async function waitForStderr(p: Proc, text: string, ms = 15_000) {
  const end = Date.now() + ms;
  while (!p.stderr().includes(text)) {
    if (Date.now() > end) {
      throw new Error(`no "${text}" in the runtime's log:\n${p.stderr()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

Deno.test("a restart with an unchanged configuration uses the cached parse, a changed file is parsed again, and the trimmed runtime keeps serving", async () => {
  const dir = await Deno.makeTempDir({ prefix: "edge-cached-start-" });
  const sys = await writeSystemConfigs(dir);
  // debug: the runtime logs how the config was read, the cache write and the trim
  const original = (await Deno.readTextFile(sys.edgeConfig))
    .replace("log:\n  level: warn", "log:\n  level: debug\n  format: json");
  await Deno.writeTextFile(sys.edgeConfig, original);
  const procs: Proc[] = [];
  const start = async () => {
    const p = await spawnProgram(["run", "--config", sys.edgeConfig]);
    procs.push(p);
    const endpoint =
      (await p.waitFor(/SPIFFE_ENDPOINT_SOCKET=(unix:\/\/\S+)/, 60_000))[1];
    return { p, endpoint };
  };
  try {
    const hub = await startSystemHub(sys);
    procs.push(hub);

    // 1. first start: enrolls, parses the file, caches the parse
    const first = await start();
    assertEquals(configParse(first.p.stderr()), "parsed");
    await waitForStderr(first.p, '"configuration parse cached"');
    assertEquals(await first.p.stop(), 0);

    // 2. unchanged file: the parse comes from the state dir; the Workload
    // API listens before the node identity is loaded (it serves from the
    // stored intermediate), and start-up goes on without a workload
    // calling; the admin API is up when the Workload API is announced;
    // after the trim the runtime still answers the Workload API and the
    // admin API
    const second = await start();
    assertEquals(configParse(second.p.stderr()), "cache");
    const log = second.p.stderr();
    const listening = log.indexOf('"workload API listening"');
    assert(listening >= 0, log);
    const loaded = log.indexOf('"node identity loaded"');
    assert(
      loaded > listening,
      `identity loaded before the Workload API:\n${log}`,
    );
    const status = await fetchAdminStatus(`${dir}/edge-admin.sock`);
    assert(status !== undefined, "the admin API is not up");
    await waitForStderr(second.p, '"start-up memory given back"');
    const trim = second.p.stderr().split("\n")
      .find((l) => l.includes('"start-up memory given back"'))!;
    assert(JSON.parse(trim).mappings > 0, trim);
    assertEquals(await fetchSvidIds(second.endpoint), [sys.workloadSpiffeId]);
    assert(
      (await fetchAdminStatus(`${dir}/edge-admin.sock`)) !== undefined,
      "the admin API stopped answering after the trim",
    );
    assertEquals(await second.p.stop(), 0);

    // 3. changed file: parsed again, and its change is what is served
    const renamed = "spiffe://example.org/workload/renamed";
    await Deno.writeTextFile(
      sys.edgeConfig,
      original.replace(sys.workloadSpiffeId, renamed),
    );
    const third = await start();
    assertEquals(configParse(third.p.stderr()), "parsed");
    assertEquals(await fetchSvidIds(third.endpoint), [renamed]);
    await waitForStderr(third.p, '"configuration parse cached"');
    assertStringIncludes(third.p.stderr(), '"configParse":"parsed"');
  } finally {
    await Promise.all(procs.map((p) => p.stop().catch(() => 0)));
    await Deno.remove(dir, { recursive: true });
  }
});
