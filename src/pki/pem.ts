/**
 * PEM (RFC 7468) encoding and decoding.
 *
 * @example
 * ```ts
 * const pem = encodePem("CERTIFICATE", der);
 * const [again] = parsePemBlocks(pem, "CERTIFICATE");
 * ```
 * @module
 */
import { EdgeError } from "../errors.ts";
import { fromBase64, toBase64 } from "../bytes.ts";

/** One PEM block: its label (e.g. `CERTIFICATE`) and DER content. */
export interface PemBlock {
  label: string;
  der: Uint8Array;
}

const BLOCK =
  /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;

/** Encode `der` as one PEM block with 64-column lines and a final newline. */
export function encodePem(label: string, der: Uint8Array): string {
  const b64 = toBase64(der);
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join("\n")}${
    lines.length ? "\n" : ""
  }-----END ${label}-----\n`;
}

/** Encode several blocks, concatenated (e.g. a certificate chain). */
export function encodePemBlocks(blocks: PemBlock[]): string {
  return blocks.map((b) => encodePem(b.label, b.der)).join("");
}

/**
 * Decode every PEM block in `text` (text outside blocks is ignored).
 * Throws `PEM_INVALID` on mismatched BEGIN/END labels, encrypted blocks or
 * bad base64.
 */
export function parsePem(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const [, begin, body, end] = m;
    if (begin !== end) {
      throw new EdgeError(
        "PEM_INVALID",
        `PEM block "BEGIN ${begin}" ends with "END ${end}"`,
      );
    }
    if (/^[A-Za-z-]+:/m.test(body)) {
      throw new EdgeError(
        "PEM_INVALID",
        `PEM block "${begin}" has headers (encrypted PEM is not supported)`,
      );
    }
    let der: Uint8Array;
    try {
      der = fromBase64(body.replace(/\s+/g, ""));
    } catch {
      throw new EdgeError(
        "PEM_INVALID",
        `PEM block "${begin}" does not contain valid base64`,
      );
    }
    if (der.length === 0) {
      throw new EdgeError("PEM_INVALID", `PEM block "${begin}" is empty`);
    }
    blocks.push({ label: begin, der });
  }
  if (blocks.length === 0 && text.includes("-----BEGIN ")) {
    throw new EdgeError(
      "PEM_INVALID",
      "PEM text has a BEGIN line but no matching END line",
    );
  }
  return blocks;
}

/**
 * The DER of every block whose label is one of `labels`, in order; other
 * blocks (e.g. `EC PARAMETERS`) are skipped. Throws `PEM_INVALID` naming the
 * expected label when there is none.
 */
export function parsePemBlocks(
  text: string,
  labels: string | readonly string[],
): PemBlock[] {
  const wanted = typeof labels === "string" ? [labels] : labels;
  const all = parsePem(text);
  const found = all.filter((b) => wanted.includes(b.label));
  if (found.length === 0) {
    const expected = wanted.map((l) => `"${l}"`).join(" or ");
    const seen = all.length
      ? `found ${[...new Set(all.map((b) => `"${b.label}"`))].join(", ")}`
      : "found no PEM block";
    throw new EdgeError(
      "PEM_INVALID",
      `Expected a PEM block labelled ${expected}, ${seen}`,
    );
  }
  return found;
}

/** The first block whose label is one of `labels` (see {@link parsePemBlocks}). */
export function parsePemBlock(
  text: string,
  labels: string | readonly string[],
): PemBlock {
  return parsePemBlocks(text, labels)[0];
}
