/**
 * The runtime stops on SIGTERM while workloads stay connected: a real hub,
 * a real runtime process, and a Node.js grpc-js workload that holds its
 * FetchX509SVID stream and keeps its channel open (as every long-running
 * workload does).
 */
import {
  deepStrictEqual as assertEquals,
  rejects as assertRejects,
} from "node:assert/strict";
import {
  spawnProgram,
  startSystemHub,
  TIMEOUT_SCALE,
  writeSystemConfigs,
} from "../../scripts/_system.ts";
import { spawnNodeClient } from "./_harness.ts";

Deno.test("on SIGTERM the runtime ends a workload's held stream and exits with code 0 although the workload stays connected", async () => {
  const dir = await Deno.makeTempDir({ prefix: "edge-sigterm-" });
  const sys = await writeSystemConfigs(dir);
  const hub = await startSystemHub(sys);
  let edge: Awaited<ReturnType<typeof spawnProgram>> | undefined;
  try {
    edge = await spawnProgram(["run", "--config", sys.edgeConfig]);
    await edge.waitFor(/SPIFFE_ENDPOINT_SOCKET=unix:\/\//, 60_000);

    await using workload = await spawnNodeClient(sys.workloadSocket, ["hold"]);
    assertEquals(await workload.next(), { spiffe_id: sys.workloadSpiffeId });

    edge.child.kill("SIGTERM");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const exit = await Promise.race([
      edge.child.status,
      new Promise<"hung">((r) =>
        timer = setTimeout(() => r("hung"), 20_000 * TIMEOUT_SCALE)
      ),
    ]);
    clearTimeout(timer);
    if (exit === "hung") edge.child.kill("SIGKILL");
    assertEquals(
      exit === "hung" ? "still running 20 s after SIGTERM" : exit.code,
      0,
      edge.stderr(),
    );
    // the stream ended with OK, the connection was cut, the socket is gone
    assertEquals(await workload.next(), { status: 0 });
    await assertRejects(
      () => Deno.stat(sys.workloadSocket),
      Deno.errors.NotFound,
    );
  } finally {
    await edge?.stop("SIGKILL");
    await hub.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
