/**
 * The in-band node authentication of the QUIC hub link (Deno's QUIC server
 * cannot verify client certificates). Shared by the node
 * (`src/hub/quic.ts`) and the hub (`src/hubserver/quic_server.ts`); see
 * `docs/hub-link.md` for the protocol and its threat model.
 *
 * 1. node → hub `{"hello": "edge-hub/1", "node", "acks": "batch"}` (opens
 *    the stream; `acks` optional: the node takes batched ACKs)
 * 2. hub → node `{"challenge": <32 random bytes, base64url>}`
 * 3. node → hub `{"node", "serverName", "chain": [DER base64], "sig"}` where
 *    `sig` is ECDSA P-256/SHA-256 (IEEE P1363, base64url) over
 *    {@link authSignedBytes}
 * 4. hub → node `{"ok": true}`; a refusal closes the connection with code
 *    4001 (unauthorized) or 4003 (node locked) and the reason.
 *
 * Every frame is a 4-byte big-endian length and UTF-8 JSON
 * (`src/message/frame.ts`).
 * @module
 */
import { EdgeError } from "../errors.ts";
import { encodeFrame } from "../message/mod.ts";

/** ALPN protocol of the QUIC hub link. */
export const QUIC_ALPN = "edge-hub/1";
/** Context string that starts every signed answer (domain separation). */
export const QUIC_AUTH_CONTEXT = "edge-hub/1 auth";
/** Bytes of a challenge. */
export const CHALLENGE_BYTES = 32;
/** Largest auth frame accepted (a chain of a few certificates). */
export const MAX_AUTH_FRAME_BYTES = 64 * 1024;
/** QUIC application close code: authentication failed. */
export const QUIC_CLOSE_UNAUTHORIZED = 4001;
/** QUIC application close code: node locked (as WebSocket's 4003). */
export const QUIC_CLOSE_FORBIDDEN = 4003;

/** Step 1, node → hub. */
export interface AuthHello {
  hello: string;
  node: string;
  /** `"batch"`: the node takes batched ACKs (`src/message/edge_runtime.ts`). */
  acks?: string;
}

/** Step 2, hub → node. */
export interface AuthChallenge {
  challenge: string;
}

/** Step 3, node → hub. */
export interface AuthAnswer {
  node: string;
  serverName: string;
  /** Certificate chain, leaf first, DER base64. */
  chain: string[];
  /** base64url signature over {@link authSignedBytes}. */
  sig: string;
}

/** Step 4, hub → node (a refusal is a connection close instead). */
export interface AuthResult {
  ok: true;
}

const enc = new TextEncoder();

function lengthPrefixed(text: string): Uint8Array {
  const b = enc.encode(text);
  const out = new Uint8Array(2 + b.byteLength);
  new DataView(out.buffer).setUint16(0, b.byteLength);
  out.set(b, 2);
  return out;
}

/**
 * The bytes a node signs: context ‖ 0x00 ‖ challenge ‖ serverName ‖ node,
 * the two names each with a 2-byte length (no ambiguity between fields).
 */
export function authSignedBytes(
  challenge: Uint8Array,
  serverName: string,
  node: string,
): Uint8Array {
  const parts = [
    enc.encode(QUIC_AUTH_CONTEXT),
    new Uint8Array([0]),
    challenge,
    lengthPrefixed(serverName),
    lengthPrefixed(node),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}

/** Sign the answer's bytes with the node's private key. */
export async function signAuth(
  key: CryptoKey,
  challenge: Uint8Array,
  serverName: string,
  node: string,
): Promise<Uint8Array> {
  return new Uint8Array(
    await crypto.subtle.sign(
      { name: "ECDSA", hash: "SHA-256" },
      key,
      authSignedBytes(challenge, serverName, node) as BufferSource,
    ),
  );
}

/** Verify an answer's signature with the leaf's public key. */
export async function verifyAuth(
  publicKey: CryptoKey,
  sig: Uint8Array,
  challenge: Uint8Array,
  serverName: string,
  node: string,
): Promise<boolean> {
  try {
    return await crypto.subtle.verify(
      { name: "ECDSA", hash: "SHA-256" },
      publicKey,
      sig as BufferSource,
      authSignedBytes(challenge, serverName, node) as BufferSource,
    );
  } catch {
    return false;
  }
}

/** One auth-phase frame (JSON), length-prefixed. */
export function authFrame(value: unknown): Uint8Array {
  return encodeFrame(enc.encode(JSON.stringify(value)));
}

/** Parse an auth-phase frame; `LINK_AUTH_FAILED` naming `what` when malformed. */
export function parseAuthFrame(
  frame: Uint8Array,
  what: string,
): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder().decode(frame));
  } catch {
    v = undefined;
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new EdgeError("LINK_AUTH_FAILED", `${what}: expected a JSON object`);
  }
  return v as Record<string, unknown>;
}

/** Validate step 3 (hub side); `LINK_AUTH_FAILED` naming the bad field. */
export function parseAuthAnswer(frame: Uint8Array): AuthAnswer {
  const v = parseAuthFrame(frame, "auth answer");
  for (const f of ["node", "serverName", "sig"] as const) {
    if (typeof v[f] !== "string" || v[f] === "") {
      throw new EdgeError(
        "LINK_AUTH_FAILED",
        `auth answer: ${f}: expected a non-empty string`,
      );
    }
  }
  const chain = v.chain;
  if (
    !Array.isArray(chain) || chain.length === 0 || chain.length > 8 ||
    chain.some((c) => typeof c !== "string")
  ) {
    throw new EdgeError(
      "LINK_AUTH_FAILED",
      "auth answer: chain: expected 1 to 8 base64 certificates",
    );
  }
  return v as unknown as AuthAnswer;
}
