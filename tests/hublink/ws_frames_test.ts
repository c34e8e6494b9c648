/**
 * The hub writes batches of ACKs as hand-made WebSocket frames
 * (`encodeTextFrames`); the `ws` library's own frame parser reads them back
 * as the same texts, one message per frame, for every length encoding.
 */
import { Receiver } from "ws";
import { assertEquals } from "../_fixtures/assert.ts";
import { encodeTextFrames } from "../../src/hubserver/websocket_server.ts";

Deno.test("encodeTextFrames() gives one RFC 6455 text frame per text that ws parses back, for 7-, 16- and 64-bit lengths", async () => {
  const texts = [
    "",
    "ok",
    "é€😀".repeat(10),
    "x".repeat(125),
    "y".repeat(126),
    "z".repeat(65_535),
    "w".repeat(65_536),
    '{"header":{"msg_id":"a"},"content":"OK"}',
  ];
  const got: string[] = [];
  const receiver = new Receiver({ isServer: false });
  receiver.on("message", (data: Uint8Array, isBinary: boolean) => {
    assertEquals(isBinary, false);
    got.push(new TextDecoder().decode(data));
  });
  const done = new Promise<void>((resolve, reject) => {
    receiver.on("error", reject);
    receiver.write(encodeTextFrames(texts), () => resolve());
  });
  await done;
  assertEquals(got, texts);
});
