/**
 * `/readyz` of a real hub (in process, real sockets) whose clock is moved
 * past its CA's and TLS certificate's NotAfter: 503 with one reason a line,
 * `/healthz` still 200, `edge_runtime_hub_ready 0`, and `edge-runtime hub
 * status` (a real process) saying why.
 */
import { assertEquals, assertMatch } from "../_fixtures/assert.ts";
import { runBinary } from "../_fixtures/cli.ts";
import type { Clock } from "../../src/clock.ts";
import { curlSocket, sample, scrape } from "./_admin_socket.ts";
import { startTestHub } from "./_hub.ts";

/** The system clock shifted by `offsetMs` (timers still run in real time). */
class ShiftedClock implements Clock {
  offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const id = setTimeout(resolve, Math.max(0, ms));
      signal?.addEventListener("abort", () => {
        clearTimeout(id);
        reject(signal.reason);
      }, { once: true });
    });
  }
}

Deno.test("a hub whose CA and TLS certificate have expired answers /readyz 503 with both reasons, and hub status says so", async () => {
  const clock = new ShiftedClock();
  await using t = await startTestHub(
    "ca:\n  ttl: 1d\nenroll:\n  intermediateTtl: 12h\n",
    { clock },
  );
  const socket = `${t.dir}/admin.sock`;
  assertEquals(await curlSocket(socket, "/readyz"), {
    status: 200,
    contentType: "text/plain;charset=UTF-8",
    body: "ready\n",
  });

  clock.offsetMs = 2 * 86_400_000;
  const r = await curlSocket(socket, "/readyz");
  assertEquals(r.status, 503);
  const status = JSON.parse((await curlSocket(socket, "/status")).body);
  const caNotAfter = status.ca.notAfter;
  assertEquals(r.body.split("\n"), [
    `CA: expired at ${caNotAfter}`,
    `hub TLS certificate: expired at ${status.tlsCertificate.notAfter}`,
    "",
  ]);
  // The serving certificate never outlives the CA that signs it.
  assertEquals(status.tlsCertificate.notAfter <= caNotAfter, true);
  assertEquals(status.ready.ready, false);
  assertEquals((await curlSocket(socket, "/healthz")).status, 200);
  assertEquals(sample(await scrape(socket), "edge_runtime_hub_ready"), 0);

  const out = await runBinary("hub", "status", "--config", t.configFile);
  assertEquals(out.code, 0, out.stderr);
  assertMatch(
    out.stdout,
    new RegExp(
      `\\nready: +NO: CA: expired at ${caNotAfter.replaceAll(".", "\\.")}; ` +
        "hub TLS certificate: expired at ",
    ),
  );
});
