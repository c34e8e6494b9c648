/**
 * HPACK against the examples of RFC 7541 Appendix C (with and without
 * Huffman coding, with evictions), and the encoder against the decoder.
 */
import {
  assert,
  assertEquals,
  assertThrows,
} from "../../../tests/_fixtures/assert.ts";
import {
  encodeHeaders,
  type HeaderField,
  HpackDecoder,
  HpackError,
  huffmanDecode,
  huffmanEncode,
  STATIC_TABLE,
} from "./hpack.ts";

const hex = (s: string) =>
  Uint8Array.from(s.replace(/\s+/g, "").match(/../g)!, (b) => parseInt(b, 16));
const isHpackError = (err: unknown) =>
  assert(err instanceof HpackError, `expected an HpackError, got ${err}`);

type Step = [
  block: string,
  headers: HeaderField[],
  table: HeaderField[],
  size: number,
];

function series(tableSize: number, steps: Step[]) {
  const d = new HpackDecoder(tableSize);
  for (const [block, headers, table, size] of steps) {
    assertEquals(d.decode(hex(block)), headers);
    assertEquals(d.dynamicTable, table);
    assertEquals(d.dynamicTableSize, size);
  }
}

const www: HeaderField = [":authority", "www.example.com"];
const get: HeaderField[] = [[":method", "GET"], [":scheme", "http"], [
  ":path",
  "/",
], www];
const noCache: HeaderField = ["cache-control", "no-cache"];
const custom: HeaderField = ["custom-key", "custom-value"];
const https: HeaderField[] = [
  [":method", "GET"],
  [":scheme", "https"],
  [":path", "/index.html"],
  www,
  custom,
];

Deno.test("requests of RFC 7541 C.3 (no Huffman) decode with the dynamic table the RFC shows", () => {
  series(4096, [
    ["8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d", get, [www], 57],
    [
      "8286 84be 5808 6e6f 2d63 6163 6865",
      [...get, noCache],
      [noCache, www],
      110,
    ],
    [
      "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
      https,
      [custom, noCache, www],
      164,
    ],
  ]);
});

Deno.test("requests of RFC 7541 C.4 (Huffman) decode with the dynamic table the RFC shows", () => {
  series(4096, [
    ["8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff", get, [www], 57],
    ["8286 84be 5886 a8eb 1064 9cbf", [...get, noCache], [noCache, www], 110],
    [
      "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
      https,
      [custom, noCache, www],
      164,
    ],
  ]);
});

Deno.test("responses of RFC 7541 C.6 (Huffman, 256-octet table) decode with the RFC's evictions", () => {
  const date1: HeaderField = ["date", "Mon, 21 Oct 2013 20:13:21 GMT"];
  const date2: HeaderField = ["date", "Mon, 21 Oct 2013 20:13:22 GMT"];
  const loc: HeaderField = ["location", "https://www.example.com"];
  const priv: HeaderField = ["cache-control", "private"];
  const cookie: HeaderField = [
    "set-cookie",
    "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
  ];
  const gzip: HeaderField = ["content-encoding", "gzip"];
  series(256, [
    [
      `4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81
       66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3`,
      [[":status", "302"], priv, date1, loc],
      [loc, date1, priv, [":status", "302"]],
      222,
    ],
    [
      "4883 640e ffc1 c0bf",
      [[":status", "307"], priv, date1, loc],
      [[":status", "307"], loc, date1, priv],
      222,
    ],
    [
      `88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a
       839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36
       72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07`,
      [[":status", "200"], priv, date2, loc, gzip, cookie],
      [cookie, gzip, date2],
      215,
    ],
  ]);
});

Deno.test("every octet survives a Huffman round trip, and bad padding or an EOS symbol is refused", () => {
  const all = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));
  assertEquals(huffmanDecode(huffmanEncode(all)), all);
  assertEquals(huffmanDecode(new Uint8Array(0)), "");
  // "www.example.com" from RFC 7541 C.4.1
  assertEquals(
    [...huffmanEncode("www.example.com")],
    [...hex("f1e3 c2e5 f23a 6ba0 ab90 f4ff")],
  );
  assertThrows(() => huffmanDecode(hex("ff ff ff ff")), isHpackError); // EOS
  assertThrows(() => huffmanDecode(hex("00")), isHpackError); // "0" + zero padding
  assertThrows(() => huffmanDecode(hex("ff ff")), isHpackError); // 16 bits of padding
});

Deno.test("malformed blocks are refused: index 0 or out of range, truncation, a table size above the limit or after a field", () => {
  const d = () => new HpackDecoder(4096);
  assertThrows(() => d().decode(hex("80")), isHpackError);
  assertThrows(() => d().decode(hex("be")), isHpackError); // 62: empty dynamic table
  assertThrows(() => d().decode(hex("41 0f 77")), isHpackError); // string cut
  assertThrows(() => d().decode(hex("ff")), isHpackError); // integer cut
  assertThrows(() => d().decode(hex("3f e2 1f")), isHpackError); // 4097
  assertThrows(() => d().decode(hex("82 20")), isHpackError);
  const ok = d();
  assertEquals(ok.decode(hex("20 82")), [[":method", "GET"]]); // size 0 first: fine
});

Deno.test("the encoder's blocks decode to the same fields, with :status 200 indexed and long values", () => {
  const fields: HeaderField[] = [
    [":status", "200"],
    ["content-type", "application/grpc"],
    ["grpc-status", "0"],
    ["grpc-message", "x".repeat(300)],
    [":status", "415"],
  ];
  const block = encodeHeaders(fields);
  assertEquals(block[0], 0x88);
  assertEquals(new HpackDecoder().decode(block), fields);
  assertEquals(STATIC_TABLE.length, 61);
  assertEquals(STATIC_TABLE[30], ["content-type", ""]);
});
