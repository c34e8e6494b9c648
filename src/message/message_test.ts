import {
  assert,
  assertEquals,
  assertStringIncludes,
  assertThrows,
} from "../../tests/_fixtures/assert.ts";
import { isEdgeError } from "../errors.ts";
import {
  canonicalAckParent,
  decodeMessage,
  encodeMessage,
  type Message,
  newMessage,
  validateMessage,
} from "./message.ts";
import {
  ackFor,
  controlAnswer,
  encodeAck,
  isAck,
  keepaliveMessage,
  resourceVersionKey,
} from "./kubeedge.ts";
import { encodeFrame, FrameDecoder } from "./frame.ts";

function invalid(fn: () => unknown): string {
  let msg = "";
  assertThrows(fn, (err) => {
    assert(isEdgeError(err, "MESSAGE_INVALID"), String(err));
    msg = err.message;
  });
  return msg;
}

Deno.test("a message round-trips through its KubeEdge JSON form", () => {
  const m = newMessage(
    {
      source: "edged",
      group: "user",
      operation: "publish",
      resource: "telemetry",
    },
    { t: 21.5 },
    { id: "id-1", now: 1700000000000, resourceVersion: "7" },
  );
  const text = encodeMessage(m);
  assertEquals(JSON.parse(text), {
    header: {
      msg_id: "id-1",
      parent_msg_id: "",
      timestamp: 1700000000000,
      resourceversion: "7",
      sync: false,
      type: "",
    },
    route: {
      source: "edged",
      destination: "",
      group: "user",
      operation: "publish",
      resource: "telemetry",
    },
    content: { t: 21.5 },
  });
  assertEquals(decodeMessage(text), m);
});

Deno.test("a CloudHub message with only some header fields decodes with zero values", () => {
  const m = decodeMessage(
    '{"header":{"msg_id":"x"},"route":{"operation":"update","resource":"a/b"},"content":"hi"}',
  );
  assertEquals(m.header, {
    msg_id: "x",
    parent_msg_id: "",
    timestamp: 0,
    resourceversion: "",
    sync: false,
    type: "",
  });
  assertEquals(m.route.resource, "a/b");
});

Deno.test("every invalid field is reported with its path", () => {
  const msg = invalid(() =>
    validateMessage({
      header: { msg_id: 5, sync: "yes", timestamp: -1 },
      route: { operation: "", group: 3 },
    })
  );
  for (
    const part of [
      "header.msg_id: expected a string, got 5",
      "header.timestamp: expected Unix milliseconds, got -1",
      'header.sync: expected true or false, got "yes"',
      "route.group: expected a string, got 3",
      "route.operation: expected a non-empty string",
    ]
  ) assertStringIncludes(msg, part);
});

Deno.test("non-JSON, non-objects and a missing route are refused", () => {
  assertStringIncludes(invalid(() => decodeMessage("{nope")), "expected JSON");
  assertStringIncludes(
    invalid(() => decodeMessage("[1]")),
    "expected an object, got a list",
  );
  assertStringIncludes(
    invalid(() => decodeMessage('{"header":{"msg_id":"a"}}')),
    "route: expected an object",
  );
});

Deno.test("messages over the size limit are refused before parsing", () => {
  const big = encodeMessage(newMessage({ operation: "x" }, "a".repeat(2000)));
  assertStringIncludes(
    invalid(() => decodeMessage(big, { maxBytes: 1000 })),
    "at most 1000 bytes",
  );
  decodeMessage(big, { maxBytes: 4000 });
});

Deno.test("keepalive, ACK and control answers follow CloudHub's conventions", () => {
  const ka = keepaliveMessage();
  assertEquals(ka.route, {
    source: "websocket",
    destination: "",
    group: "resource",
    operation: "keepalive",
    resource: "node",
  });
  assertEquals(ka.content, "ping");
  const orig = newMessage(
    {
      source: "cloud",
      group: "resource",
      operation: "update",
      resource: "ns/x",
    },
    {},
    {
      resourceVersion: "42",
    },
  );
  const ack = ackFor(orig);
  assertEquals(ack.header.parent_msg_id, orig.header.msg_id);
  assertEquals([
    ack.route.source,
    ack.route.group,
    ack.route.resource,
    ack.route.operation,
  ], [
    "cloud",
    "resource",
    "ns/x",
    "response",
  ]);
  assertEquals(ack.content, "OK");
  assert(isAck(ack) && !isAck(orig));
  assertEquals(
    controlAnswer(newMessage({ operation: "ping" }, null)).content,
    "ack",
  );
  assertEquals(resourceVersionKey(orig), "ns/x@42");
  assertEquals(resourceVersionKey(ka), undefined);
});

Deno.test("encodeAck() gives exactly the text of encodeMessage(ackFor()), also for names that need escaping", () => {
  for (
    const route of [
      {},
      { source: "spiffe://example.org/s", group: "user", resource: "t" },
      { source: "spiffe://example.org/s", group: "user", resource: "t" },
      { source: 'a"b\\c', group: "\u2028é", resource: "\n" },
      {},
    ]
  ) {
    for (const id of [undefined, 'x"y', "a\\b", "é"]) {
      const orig = newMessage({ ...route, operation: "publish" }, { x: 1 }, {
        id,
      });
      assertEquals(
        encodeAck(orig, { id: "ack-1", now: 1234 }),
        encodeMessage(ackFor(orig, { id: "ack-1", now: 1234 })),
      );
    }
  }
  const a = decodeMessage(encodeAck(newMessage({ operation: "p" }, 1)));
  assert(isAck(a) && a.header.msg_id.length === 36);
});

Deno.test("decodeMessage() measures the UTF-8 size of long texts: 3-byte characters count thrice", () => {
  const text = encodeMessage(newMessage({ operation: "p" }, "€".repeat(400)));
  const bytes = new TextEncoder().encode(text).byteLength;
  assertEquals(bytes, text.length + 800);
  assertEquals(
    decodeMessage(text, { maxBytes: bytes }).content,
    "€".repeat(400),
  );
  invalid(() => decodeMessage(text, { maxBytes: bytes - 1 }));
});

Deno.test("frames split across chunks come back whole and in order", () => {
  const enc = new TextEncoder();
  const a = encodeFrame(enc.encode("hello"));
  const b = encodeFrame(enc.encode(""));
  const c = encodeFrame(enc.encode("world!"));
  const all = new Uint8Array([...a, ...b, ...c]);
  const d = new FrameDecoder();
  const out: string[] = [];
  for (let i = 0; i < all.length; i += 3) {
    for (const f of d.push(all.slice(i, i + 3))) {
      out.push(new TextDecoder().decode(f));
    }
  }
  assertEquals(out, ["hello", "", "world!"]);
  assertEquals(d.pending, 0);
});

Deno.test("a frame announcing more than the limit is refused", () => {
  const d = new FrameDecoder(10);
  assertThrows(
    () => d.push(encodeFrame(new Uint8Array(11))),
    (e) => assert(isEdgeError(e, "MESSAGE_INVALID")),
  );
});

Deno.test("the template encoding is JSON.stringify's text, and strings that need escapes take JSON.stringify itself", () => {
  const odd = [
    "",
    "plain-id_1.2:3~",
    'quote"d',
    "back\\slash",
    "new\nline",
    "tab\t",
    "\u0000",
    "ünïcödé",
    "emoji 🚀",
    "lone \ud800",
    "line\u2028sep",
    "/slashes/",
  ];
  const contents = [{ t: 21.5, tags: ["a"] }, "OK", null, 0, [1, "x"], {
    nested: { deep: true },
  }];
  let n = 0;
  for (const s of odd) {
    for (const content of contents) {
      const msg = newMessage(
        {
          source: s,
          destination: `d${s}`,
          group: "user",
          operation: s || "publish",
          resource: `r/${s}`,
        },
        content,
        {
          id: `id-${n++}${s}`,
          parentId: s,
          resourceVersion: s,
          type: s,
          sync: n % 2 === 0,
          now: n % 3 === 0 ? 0 : 1_700_000_000_000 + n,
        },
      );
      const text = encodeMessage(msg);
      assertEquals(text, JSON.stringify(msg), JSON.stringify(s));
      assertEquals(decodeMessage(text), msg);
    }
  }
});

Deno.test("canonical messages and ACKs decode on the fast path to exactly what the full path gives", () => {
  const originals = [
    newMessage({
      source: "w",
      group: "user",
      operation: "publish",
      resource: "t/1",
    }, 1),
    newMessage({ source: "ünï", group: "", operation: "publish" }, 1, {
      id: "x/y z",
    }),
  ];
  for (const o of originals) {
    const text = encodeAck(o, { now: 1_700_000_000_123 });
    const fast = decodeMessage(text);
    assertEquals(fast, validateMessage(JSON.parse(text)));
    assertEquals(fast.header.parent_msg_id, o.header.msg_id);
    assertEquals(isAck(fast), true);
  }
  // Near misses go the full path: same answers as JSON.parse + validation.
  const base = encodeAck(originals[0], { now: 5 });
  const variants = [
    base.replace('"timestamp":5', '"timestamp":05'), // invalid JSON
    base.replace('"timestamp":5', '"timestamp":12345678901234567890'), // unsafe
    base.replace('"sync":false', '"sync":"false"'), // wrong type
    base.replace('"content":"OK"', '"content":"OK","x":1'), // extra key
    base.replace('"source":"w"', '"source":"w\\u0041"'), // escape
    base.replace("{", "{ "), // whitespace
    base.replace('"content":"OK"', '"content":1},"x":{"a":2'), // not one value
    base.replace('"content":"OK"', '"content":{"a":1'), // truncated
    base.replace('"content":"OK"', '"content":null'), // null content
  ];
  for (const o of originals) {
    const text = encodeMessage(o);
    assertEquals(decodeMessage(text), validateMessage(JSON.parse(text)));
  }
  for (const v of variants) {
    let fullPath: unknown;
    try {
      fullPath = validateMessage(JSON.parse(v));
    } catch (err) {
      fullPath = (err as Error).constructor.name;
    }
    let ours: unknown;
    try {
      ours = decodeMessage(v);
    } catch (err) {
      ours = (err as Error).constructor.name;
    }
    if (typeof fullPath === "string") assertEquals(typeof ours, "string", v);
    else assertEquals(ours, fullPath, v);
  }
});

Deno.test("canonicalAckParent() reads the parent of canonical ACKs only, and never disagrees with decodeMessage()", () => {
  const o = newMessage({ source: "w", group: "g", operation: "publish" }, 1);
  const ack = encodeAck(o, { now: 5 });
  assertEquals(canonicalAckParent(ack), o.header.msg_id);
  const odd = newMessage({ source: "ünï", operation: "publish" }, 1, {
    id: "x/y z",
  });
  assertEquals(canonicalAckParent(encodeAck(odd, { now: 5 })), "x/y z");
  const candidates = [
    ack,
    encodeMessage(o), // not an ACK
    encodeMessage(controlAnswer(o)), // content "ack"
    encodeMessage({
      ...ackFor(o),
      header: { ...ackFor(o).header, parent_msg_id: "" },
    }), // no parent
    ack.replace('"content":"OK"', '"content":"OK "'),
    ack.replace('"operation":"response"', '"operation":"responses"'),
    ack.replace('"source":"w"', '"source":"w\\u0041"'), // an escape
    ack.replace("{", "{ "),
    ack.replace('"content":"OK"', '"content":"OK","x":1'),
    ack.replace('"timestamp":5', '"timestamp":05'),
  ];
  for (const text of candidates) {
    const parent = canonicalAckParent(text);
    let msg: Message | undefined;
    try {
      msg = decodeMessage(text);
    } catch { /* invalid */ }
    if (parent !== undefined) {
      assert(msg !== undefined && isAck(msg), text);
      assertEquals(msg.header.parent_msg_id, parent, text);
    }
  }
  assertEquals(candidates.map((t) => canonicalAckParent(t) !== undefined), [
    true,
    false,
    false,
    false,
    false,
    false,
    false,
    false,
    false,
    false,
  ]);
  // the size limit applies as it does to decodeMessage
  assertEquals(canonicalAckParent(ack, ack.length - 1), undefined);
  assertEquals(canonicalAckParent(ack, ack.length), o.header.msg_id);
});
