/**
 * Reconnect after a real hub process restart: the hub (`edge-runtime hub`,
 * its own process) is stopped and a new process starts on the same ports
 * and state; the link, with the default backoff (1 s → 60 s, full jitter),
 * must be back within 2 s of the new hub listening (×
 * `EDGE_RUNTIME_TIMEOUT_SCALE`) and carry messages again. Over QUIC this
 * needs the fresh handshakes of `src/hub/quic_handshake.ts` (QUIC ignores
 * ICMP: a handshake sent while the hub was down would wait for QUIC's own
 * retransmission) and the outage-based backoff of `src/hub/backoff.ts`.
 *
 * The jitter is fixed at the middle of its range so the timing does not
 * depend on luck: every wait is half its ceiling. The exact figures are
 * measured by `scripts/bench/hublink.ts` (`hublink.*.reconnect`).
 */
import { assert } from "../_fixtures/assert.ts";
import {
  runProgram,
  spawnProgram,
  TIMEOUT_SCALE,
} from "../../scripts/_system.ts";
import { type HubLink, startHubLink } from "../../src/hub/mod.ts";
import { IdentityEvents } from "../../src/identity/mod.ts";
import { createHubUpstream } from "../../src/identity/upstream/hub.ts";
import { parseJoinToken } from "../../src/identity/token.ts";
import { newMessage } from "../../src/message/mod.ts";
import { generateKeyPair } from "../../src/pki/mod.ts";
import { secureRandom } from "../../src/random.ts";
import { openStore } from "../../src/store/mod.ts";
import { edgeConfig, freePort, freeUdpPort, waitFor } from "./_harness.ts";

const midpoint = { ...secureRandom, float: () => 0.5 };

for (
  const [transport, restarts] of [["quic", 2], ["websocket", 1]] as const
) {
  Deno.test(`${transport}: after a hub process restart the link is back within 2 s of the new hub listening, with the default backoff`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "edge-reconnect-" });
    const enrollPort = freePort();
    const wsPort = freePort();
    const quicPort = freeUdpPort();
    const hubConfig = `${dir}/hub.yaml`;
    await Deno.writeTextFile(
      hubConfig,
      `stateDir: ${dir}/hub\nadmin:\n  socketPath: ${dir}/admin.sock\nenroll:\n  listen: 127.0.0.1:${enrollPort}\nwebsocket:\n  listen: 127.0.0.1:${wsPort}\nquic:\n  enabled: true\n  listen: 127.0.0.1:${quicPort}\nlog:\n  level: error\n`,
    );
    const startHub = async () => {
      const p = await spawnProgram(["hub", "--config", hubConfig]);
      await p.waitFor(/CA hash/); // printed once every listener is up
      return p;
    };
    let hub = await startHub();
    let link: HubLink | undefined;
    try {
      const token = (await runProgram([
        "token",
        "create",
        "--node",
        "pi-1",
        "--config",
        hubConfig,
      ])).trim();
      const identity = new IdentityEvents();
      await identity.publish(
        await createHubUpstream({
          server: `https://127.0.0.1:${enrollPort}`,
          nodeName: "pi-1",
        }).enroll({
          keys: await generateKeyPair(),
          token: await parseJoinToken(token),
        }),
      );
      link = await startHubLink({
        config: edgeConfig(
          dir,
          "pi-1",
          wsPort,
          `  transport: ${transport}\n`,
          quicPort,
          { initialDelay: "1s", maxDelay: "60s" },
        ),
        identity,
        store: await openStore(`${dir}/pi-1`),
        random: midpoint,
      });
      const l = link;
      const up = () => l.status().state === "connected";
      await waitFor(up, "the first link", 10_000 * TIMEOUT_SCALE);

      for (let r = 0; r < restarts; r++) {
        await hub.stop();
        await waitFor(() => !up(), "the link to notice the hub is gone");
        hub = await startHub();
        const listening = performance.now();
        await waitFor(up, "the link back", 2_000 * TIMEOUT_SCALE);
        const ms = performance.now() - listening;
        assert(ms <= 2_000 * TIMEOUT_SCALE, `link back after ${ms} ms`);
      }

      const msg = newMessage({ operation: "publish", resource: "t" }, "back");
      await l.publish(msg);
      await waitFor(() => l.outbox.size === 0, "the ACK");
      await waitFor(
        () => hub.stdout().includes(msg.header.msg_id),
        "the hub's sink",
      );
    } finally {
      await link?.close();
      await hub.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  });
}
