/**
 * The hub link's outbox on a real full disk (a tiny tmpfs; needs root to
 * mount it, as `disk_full_test.ts`): a message whose write fails is refused
 * with STORE_WRITE_FAILED and is not queued, the messages durable before it
 * stay queued and can be ACKed, and once space is freed new messages are
 * queued again; a reopen replays exactly the durable, unacknowledged ones.
 * @module
 */
import { assert, assertEquals, assertRejects } from "../_fixtures/assert.ts";
import { isEdgeError } from "../../src/errors.ts";
import { Outbox } from "../../src/hub/outbox.ts";
import { decodeMessage, newMessage } from "../../src/message/mod.ts";
import { openStore } from "../../src/store/mod.ts";
import { fill, withTinyTmpfs } from "./_tmpfs.ts";

const msg = (i: number) =>
  newMessage({ operation: "publish", resource: "t" }, {
    i,
    pad: "x".repeat(2000),
  });

Deno.test("a message the full disk refuses is not queued; the durable ones stay, can be ACKed, and new ones queue once space is back", async () => {
  const mnt = await Deno.makeTempDir({ prefix: "outbox-diskfull-" });
  try {
    await withTinyTmpfs(mnt, async () => {
      const store = await openStore(`${mnt}/state`);
      const outbox = await Outbox.open(store);
      const early = [msg(1), msg(2), msg(3)];
      await Promise.all(early.map((m) => outbox.put(m)));
      assertEquals(outbox.size, 3);

      await fill(`${mnt}/filler`);
      const refused = msg(4);
      await assertRejects(() => outbox.put(refused), (e) => {
        assert(isEdgeError(e, "STORE_WRITE_FAILED"), String(e));
      });
      assertEquals(outbox.size, 3, "the refused message is not queued");
      assertEquals(outbox.has(refused.header.msg_id), false);
      assertEquals(outbox.ack(refused.header.msg_id), false);
      // what was durable before stays and can be ACKed (the removal line may
      // not fit either: the message is then just sent again after a restart)
      assertEquals(outbox.ack(early[0].header.msg_id), true);
      assertEquals(outbox.size, 2);

      await Deno.remove(`${mnt}/filler`);
      await outbox.put(refused); // the sender retries: queued now
      const late = msg(5);
      await outbox.put(late);
      assertEquals(
        outbox.entries().map((e) => e.id),
        [early[1], early[2], refused, late].map((m) => m.header.msg_id),
      );
      assertEquals(outbox.ack(early[1].header.msg_id), true);
      await outbox.close();

      const again = await Outbox.open(store);
      const replayed = again.entries().map((e) => decodeMessage(e.text));
      // early[0]'s removal line may have been lost to the full disk
      const ids = replayed.map((m) => m.header.msg_id)
        .filter((id) => id !== early[0].header.msg_id);
      assertEquals(ids, [early[2], refused, late].map((m) => m.header.msg_id));
      await again.close();
    });
  } finally {
    await Deno.remove(mnt, { recursive: true });
  }
});
