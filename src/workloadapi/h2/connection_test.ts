import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { type ByteSocket, H2ServerConnection } from "./connection.ts";

/** A socket that records what the connection does to it. */
function recordingSocket() {
  const calls: string[] = [];
  let onData: (chunk: Uint8Array) => void = () => {};
  const socket: ByteSocket = {
    write: () => true,
    end: () => calls.push("end"),
    destroy: () => calls.push("destroy"),
    on(event: string, cb: (chunk: Uint8Array) => void) {
      if (event === "data") onData = cb;
    },
  } as ByteSocket;
  return { socket, calls, feed: (b: Uint8Array) => onData(b) };
}

Deno.test("after a protocol error a peer that never closes its side is cut off", async () => {
  const s = recordingSocket();
  new H2ServerConnection(s.socket, { onStream: () => {}, failedCloseMs: 50 });
  s.feed(new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n"));
  assertEquals(s.calls, ["end"]);
  await new Promise((r) => setTimeout(r, 100));
  assertEquals(s.calls, ["end", "destroy"]);
});
