import assert from "node:assert/strict";
import { isEdgeError } from "../errors.ts";
import {
  encodePem,
  encodePemBlocks,
  parsePem,
  parsePemBlock,
  parsePemBlocks,
} from "./pem.ts";

const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => i & 0xff);

Deno.test("encodePem wraps base64 at 64 columns and round-trips", () => {
  const der = bytes(100);
  const pem = encodePem("CERTIFICATE", der);
  const lines = pem.trimEnd().split("\n");
  assert.equal(lines[0], "-----BEGIN CERTIFICATE-----");
  assert.equal(lines.at(-1), "-----END CERTIFICATE-----");
  assert.equal(lines[1].length, 64);
  assert.ok(pem.endsWith("\n"));
  assert.deepEqual(parsePemBlock(pem, "CERTIFICATE").der, der);
});

Deno.test("parsePem returns every block with its label in order", () => {
  const text = "junk before\n" +
    encodePemBlocks([
      { label: "CERTIFICATE", der: bytes(3) },
      { label: "EC PRIVATE KEY", der: bytes(5) },
      { label: "CERTIFICATE", der: bytes(7) },
    ]) + "junk after";
  const blocks = parsePem(text);
  assert.deepEqual(blocks.map((b) => [b.label, b.der.length]), [
    ["CERTIFICATE", 3],
    ["EC PRIVATE KEY", 5],
    ["CERTIFICATE", 7],
  ]);
  assert.equal(parsePemBlocks(text, "CERTIFICATE").length, 2);
  assert.equal(
    parsePemBlock(text, ["PRIVATE KEY", "EC PRIVATE KEY"]).der.length,
    5,
  );
});

Deno.test("parsePem accepts CRLF line endings", () => {
  const pem = encodePem("X509 CRL", bytes(80)).replace(/\n/g, "\r\n");
  assert.deepEqual(parsePemBlock(pem, "X509 CRL").der, bytes(80));
});

Deno.test("parsePemBlock names the expected label when it is missing", () => {
  const pem = encodePem("PRIVATE KEY", bytes(4));
  assert.throws(
    () => parsePemBlock(pem, "CERTIFICATE"),
    (e) =>
      isEdgeError(e, "PEM_INVALID") &&
      e.message.includes('"CERTIFICATE"') &&
      e.message.includes('"PRIVATE KEY"'),
  );
  assert.throws(
    () => parsePemBlock("not pem at all", "CERTIFICATE"),
    (e) => isEdgeError(e, "PEM_INVALID") && e.message.includes("no PEM block"),
  );
});

Deno.test("parsePem rejects mismatched END labels, bad base64 and encrypted PEM", () => {
  const good = encodePem("CERTIFICATE", bytes(10));
  assert.throws(
    () => parsePem(good.replace("END CERTIFICATE", "END X509 CRL")),
    (e) => isEdgeError(e, "PEM_INVALID"),
  );
  assert.throws(
    () => parsePem(good.replace(/\n[A-Za-z0-9]/, "\n!")),
    (e) => isEdgeError(e, "PEM_INVALID") && e.message.includes("base64"),
  );
  const encrypted = "-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n" +
    "DEK-Info: AES-128-CBC,00\n\nAAAA\n-----END EC PRIVATE KEY-----\n";
  assert.throws(
    () => parsePem(encrypted),
    (e) => isEdgeError(e, "PEM_INVALID") && e.message.includes("encrypted"),
  );
  assert.throws(
    () => parsePem("-----BEGIN CERTIFICATE-----\nAAAA\n"),
    (e) => isEdgeError(e, "PEM_INVALID"),
  );
});
