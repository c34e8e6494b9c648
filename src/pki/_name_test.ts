import assert from "node:assert/strict";
import { oid, seq, TAG, tlv } from "./_der.ts";
import { buildName, readName, type SubjectFields } from "./_name.ts";
import { x509 } from "./_x509.ts";

/** The library's view of a Name DER, as our readName used to report it. */
function libraryView(der: Uint8Array) {
  const n = new x509.Name(der as BufferSource);
  return {
    text: n.toString(),
    commonName: n.getField("CN")[0],
    organizations: n.getField("O"),
  };
}

function ourView(der: Uint8Array) {
  const { text, commonName, organizations } = readName(der);
  return { text, commonName, organizations };
}

const SUBJECT_STRINGS = [
  "",
  "CN=a",
  "CN=Hub Root",
  "O=system:nodes, CN=system:node:pi-1",
  "CN=weird\\, name, O=x+OU=y",
  'CN="quoted, value", O=o',
  "CN=tab\\0gnew\\0aline",
  "CN=ünïcödé ✓, O=日本",
  "E=ops@example.org, DC=example, DC=org",
  "2.5.4.3=by oid, 1.2.3.4=custom",
  "C=DE, ST=Berlin, L=Berlin, OU=ops, G=Given, SN=Sur, T=Dr, I=X",
  "CN=#0c03616263",
  "CN=a+CN=b, O=x",
  "CN= leading and trailing ",
  "CN=semi;colon<lt>gt\\\\back",
  "CN=a\\+b",
];

const SUBJECT_FIELDS: SubjectFields[] = [
  {},
  { CN: "Hub Root", O: ["Edge", "Second Org"] },
  { C: "DE", ST: "Berlin", L: "Berlin", O: "o", OU: ["a", "b"], CN: "ca" },
  { CN: "system:node:pi-1", O: "system:nodes" },
  { CN: 'with, comma+plus "quote"' },
  { O: "ünï" },
];

/** What the library built for fields (the former buildName). */
function libraryFromFields(s: SubjectFields): Uint8Array {
  const json: Record<string, string[]>[] = [];
  for (const key of ["C", "ST", "L", "O", "OU", "CN"] as const) {
    const v = s[key];
    if (v === undefined) continue;
    for (const value of Array.isArray(v) ? v : [v]) {
      json.push({ [key]: [value] });
    }
  }
  return new Uint8Array(new x509.Name(json).toArrayBuffer());
}

Deno.test("names are built byte-for-byte as @peculiar/x509 built them", () => {
  for (const s of SUBJECT_STRINGS) {
    assert.deepEqual(
      buildName(s),
      new Uint8Array(new x509.Name(s).toArrayBuffer()),
      s,
    );
  }
  for (const s of SUBJECT_FIELDS) {
    assert.deepEqual(buildName(s), libraryFromFields(s), JSON.stringify(s));
  }
});

const atv = (type: string, value: Uint8Array) =>
  tlv(TAG.SET, seq(oid(type), value));
const str = (tag: number, bytes: number[]) => tlv(tag, Uint8Array.from(bytes));
const ascii = (t: string) => Array.from(t, (c) => c.charCodeAt(0));

/** Names in encodings our builder never writes. */
const FOREIGN_NAMES: Uint8Array[] = [
  seq(atv("2.5.4.3", str(0x1e, [0, 0x41, 0x04, 0x14, 0x20, 0x2c]))), // BMP
  seq(atv("2.5.4.3", str(0x1c, [0, 0, 0, 0x42, 0, 0, 0x04, 0x16]))), // Universal
  seq(atv("2.5.4.10", str(0x14, [0x41, 0xe9, 0x2b]))), // Teletex
  seq(atv("2.5.4.3", str(0x12, ascii("12 34")))), // NumericString
  seq(atv("2.5.4.3", str(0x1a, ascii("visible")))), // VisibleString
  seq(atv("2.5.4.10", tlv(0x02, Uint8Array.of(5)))), // INTEGER
  seq(atv("2.5.4.3", str(0x13, ascii("#lead")))),
  seq(atv("2.5.4.3", str(0x0c, ascii("a\r\nb\tc ")))),
  seq(atv("2.5.4.3", str(0x0c, []))),
  seq(atv("1.2.840.113549.1.9.1", str(0x16, ascii("x@y")))),
  seq(
    tlv(
      TAG.SET,
      seq(oid("2.5.4.3"), str(0x13, ascii("multi"))),
      seq(oid("2.5.4.10"), str(0x0c, ascii("valued"))),
    ),
    atv("2.5.4.3", str(0x13, ascii("second cn"))),
    atv("2.5.4.10", str(0x13, ascii("o2"))),
  ),
];

Deno.test("names read back with the text, CN and O values @peculiar/x509 gave", () => {
  const ders = [
    ...SUBJECT_STRINGS.map((s) => buildName(s)),
    ...SUBJECT_FIELDS.map((s) => buildName(s)),
    ...FOREIGN_NAMES,
  ];
  for (const der of ders) {
    assert.deepEqual(ourView(der), libraryView(der));
  }
});

Deno.test("a malformed name is CERT_INVALID", () => {
  for (
    const bad of [
      Uint8Array.of(0x31, 0),
      seq(tlv(TAG.SET, seq(oid("2.5.4.3")))),
      seq(Uint8Array.of(0x04, 0)),
    ]
  ) {
    assert.throws(
      () => readName(bad),
      (e) => (e as { code?: string }).code === "CERT_INVALID",
    );
  }
});
