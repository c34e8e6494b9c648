/**
 * Batched ACKs (`src/message/edge_runtime.ts`) on a real hub over
 * WebSocket: a CloudHub client that does not ask for them gets one
 * KubeEdge ACK message per message (what edgehub expects); a client that
 * sends `Edge-Runtime-Acks: batch` gets batched ACKs, fewer frames than
 * messages, that name every message once, in order. Plus the encoding:
 * escapes round-trip and a long list is split below the message size limit.
 */
import { assert, assertEquals } from "../_fixtures/assert.ts";
import { cloudHubHeaders, cloudHubUrl } from "../../src/hub/mod.ts";
import { identityPem } from "../../src/identity/mod.ts";
import {
  ACK_BATCH,
  ACK_BATCH_HEADER,
  ackBatchParents,
  decodeMessage,
  DEFAULT_MAX_MESSAGE_BYTES,
  encodeAckBatches,
  encodeMessage,
  isAck,
  type Message,
  newMessage,
} from "../../src/message/mod.ts";
import { enrollNode, startLinkHub, waitFor } from "./_harness.ts";

const PROJECT = "e632aba927ea4ac2b575ec1603d56f10";

/** Send `n` messages over a raw WebSocket; returns the sent ids and every frame received until all are ACKed. */
async function exchange(
  batch: boolean,
  n: number,
): Promise<{ sent: string[]; frames: Message[] }> {
  const h = await startLinkHub();
  try {
    const creds = await identityPem(await enrollNode(h.hub, "pi-1"));
    const mtls = Deno.createHttpClient({
      cert: creds.certPem,
      key: creds.keyPem,
      caCerts: [creds.caPem],
    });
    const headers: Record<string, string> = cloudHubHeaders(PROJECT, "pi-1");
    if (batch) headers[ACK_BATCH_HEADER] = ACK_BATCH;
    const ws = new WebSocket(
      cloudHubUrl(`127.0.0.1:${h.wsPort}`, PROJECT, "pi-1"),
      { headers, client: mtls },
    );
    const frames: Message[] = [];
    ws.onmessage = (ev) => frames.push(decodeMessage(String(ev.data)));
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    const sent: string[] = [];
    for (let i = 0; i < n; i++) {
      const m = newMessage({ operation: "publish", resource: "r" }, i);
      sent.push(m.header.msg_id);
      ws.send(encodeMessage(m));
    }
    const ackedIds = () =>
      frames.flatMap((f) =>
        isAck(f) ? [f.header.parent_msg_id] : ackBatchParents(f) ?? []
      );
    await waitFor(() => ackedIds().length >= n, "ACKs");
    await new Promise((r) => setTimeout(r, 100)); // no more should come
    assertEquals(ackedIds(), sent, "each message ACKed once, in order");
    assertEquals(h.received.length, n);
    const closed = new Promise((r) => ws.onclose = r);
    ws.close();
    await closed;
    mtls.close();
    return { sent, frames };
  } finally {
    await h.stop();
  }
}

Deno.test("a CloudHub client that does not ask for batched ACKs gets one KubeEdge ACK per message", async () => {
  const { frames } = await exchange(false, 300);
  assertEquals(frames.length, 300);
  for (const f of frames) {
    assert(isAck(f), JSON.stringify(f));
    assertEquals(f.route.operation, "response");
    assertEquals(f.content, "OK");
    assertEquals(f.route.resource, "r");
  }
});

Deno.test("a node that sends Edge-Runtime-Acks: batch gets batched ACKs, fewer frames than messages", async () => {
  const { frames } = await exchange(true, 300);
  assert(frames.length < 300, `${frames.length} frames for 300 messages`);
  for (const f of frames) {
    assert(ackBatchParents(f) !== undefined, JSON.stringify(f).slice(0, 200));
    assertEquals(f.header.parent_msg_id, "");
    assertEquals(f.route.operation, "response");
  }
});

Deno.test("batched ACKs keep odd ids exactly and split long lists below the message size limit", () => {
  const odd = ['a"b', "c\\d", "ü/ß", "e\nf", "x".repeat(40)];
  const [one] = encodeAckBatches(odd, { now: 1 });
  assertEquals(ackBatchParents(decodeMessage(one)), odd);
  const ids = Array.from(
    { length: 20_000 },
    (_, i) => `${i}-${"y".repeat(60)}`,
  );
  const texts = encodeAckBatches(ids);
  assert(texts.length > 1, "one message for 1.4 MB of ids");
  for (const t of texts) {
    assert(new TextEncoder().encode(t).length <= DEFAULT_MAX_MESSAGE_BYTES);
  }
  assertEquals(texts.flatMap((t) => ackBatchParents(decodeMessage(t))!), ids);
  // not a batch: another resource, or an id that is not a non-empty string
  const bad = (content: unknown, resource = "acks") =>
    ackBatchParents(
      newMessage(
        { group: "edge-runtime", resource, operation: "response" },
        content,
      ),
    );
  assertEquals(bad(["a"], "entries"), undefined);
  assertEquals(bad(["a", 1]), undefined);
  assertEquals(bad(["a", ""]), undefined);
  assertEquals(bad("a"), undefined);
  assertEquals(bad(["a"]), ["a"]);
});
