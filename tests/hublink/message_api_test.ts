/**
 * The local message API on a real Unix socket with real curl: publish
 * (202 once durable, idempotent by id), attestation by SO_PEERCRED against
 * the entries, server-sent events of hub messages routed to the caller.
 */
import {
  assert,
  assertEquals,
  assertStringIncludes,
} from "../_fixtures/assert.ts";
import { IdentityEvents } from "../../src/identity/mod.ts";
import { startHubLink } from "../../src/hub/mod.ts";
import { startMessageApi } from "../../src/messageapi/mod.ts";
import { openStore } from "../../src/store/mod.ts";
import { EntryStore } from "../../src/workloadapi/mod.ts";
import { edgeConfig, enrollNode, startLinkHub, waitFor } from "./_harness.ts";

const ME = "spiffe://example.org/sensor";

async function curl(args: string[]): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command("curl", { args: ["-sS", ...args] }).output();
  return { code: r.code, out: new TextDecoder().decode(r.stdout) };
}

Deno.test("a workload publishes through the message API and receives hub messages as server-sent events", async () => {
  const h = await startLinkHub();
  const store = await openStore(`${h.dir}/pi-1`);
  const identity = new IdentityEvents();
  await identity.publish(await enrollNode(h.hub, "pi-1"));
  const config = edgeConfig(h.dir, "pi-1", h.wsPort);
  const entries = new EntryStore("example.org");
  entries.replace("config", [{
    spiffeId: ME,
    selectors: [`unix:uid:${Deno.uid()}`],
  }]);
  const hold: { api?: Awaited<ReturnType<typeof startMessageApi>> } = {};
  const link = await startHubLink({
    config,
    identity,
    store,
    onMessage: (m) => void hold.api?.deliver(m),
  });
  const socket = config.hub.messageApi.socketPath;
  const api = hold.api = await startMessageApi({
    socketPath: socket,
    publish: link.publish,
    entries,
  });
  const sse = new Deno.Command("curl", {
    args: ["-sSN", "--unix-socket", socket, "http://localhost/v1/messages"],
    stdout: "piped",
  }).spawn();
  try {
    const post = (body: unknown) =>
      curl([
        "--unix-socket",
        socket,
        "-w",
        "\n%{http_code}",
        "-H",
        "content-type: application/json",
        "-d",
        JSON.stringify(body),
        "http://localhost/v1/messages",
      ]);
    const r = await post({
      resource: "telemetry",
      content: { t: 21.5 },
      id: "m-1",
    });
    assertEquals(r.out.split("\n").at(-1), "202");
    assertEquals(JSON.parse(r.out.split("\n")[0]), { msg_id: "m-1" });
    // A retry with the same id (the 202 was lost) is not delivered twice.
    assertEquals(
      (await post({ resource: "telemetry", content: { t: 21.5 }, id: "m-1" }))
        .out.split("\n").at(-1),
      "202",
    );
    const bad = await post({ content: 1 });
    assertEquals(bad.out.split("\n").at(-1), "400");
    assertStringIncludes(bad.out, "resource: expected a non-empty string");
    await waitFor(
      () => h.received.length >= 1 && link.outbox.size === 0,
      "delivery",
    );
    await new Promise((r) => setTimeout(r, 200));
    assertEquals(h.received.length, 1);
    assertEquals(h.received[0].msg.route.source, ME);
    assertEquals(h.received[0].msg.content, { t: 21.5 });

    await waitFor(() => api.status().subscriptions === 1, "subscription");
    h.hub.links.send("pi-1", { resource: "config/led", destination: ME }, {
      on: true,
    });
    const reader = sse.stdout.getReader();
    let text = "";
    while (!text.includes("config/led")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    assertStringIncludes(text, "event: message");
    const data = JSON.parse(
      text.split("\n").find((l) => l.startsWith("data: "))!.slice(6),
    );
    assertEquals(data.content, { on: true });
    reader.releaseLock();

    // A process no entry matches is refused.
    entries.replace("config", [{
      spiffeId: ME,
      selectors: ["unix:uid:54321"],
    }]);
    const refused = await post({ resource: "x", content: 1 });
    assertEquals(refused.out.split("\n").at(-1), "403");
    assert(refused.out.includes("no registration entry matches"));
  } finally {
    sse.kill();
    await sse.stdout.cancel().catch(() => {});
    await sse.status;
    await api.close();
    await link.close();
    await h.stop();
  }
});
