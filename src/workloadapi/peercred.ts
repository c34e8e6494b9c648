/**
 * Kernel credentials of a Unix-socket peer: `getsockopt(fd, SOL_SOCKET,
 * SO_PEERCRED)` through FFI into libc (Deno has no API for it; needs
 * `--allow-ffi`).
 * @module
 */
import { EdgeError } from "../errors.ts";
import { libc } from "../libc.ts";

/** `struct ucred`: who connected. */
export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

const SOL_SOCKET = 1;
const SO_PEERCRED = 17;

/**
 * Read `SO_PEERCRED` of a connected Unix socket file descriptor. Throws
 * `ATTESTATION_FAILED` when the call fails.
 */
export function peerCredentials(fd: number): PeerCredentials {
  if (!Number.isInteger(fd) || fd < 0) {
    throw new EdgeError("ATTESTATION_FAILED", `invalid socket fd ${fd}`);
  }
  const buf = new Uint8Array(12);
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, 12, true);
  let c: ReturnType<typeof libc>;
  try {
    c = libc();
  } catch (cause) {
    throw new EdgeError(
      "ATTESTATION_FAILED",
      "cannot load libc.so.6 for caller attestation (is --allow-ffi granted?)",
      { cause },
    );
  }
  const rc = c.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, buf, len);
  if (rc !== 0) {
    throw new EdgeError(
      "ATTESTATION_FAILED",
      `getsockopt(SO_PEERCRED) failed on fd ${fd}`,
    );
  }
  const dv = new DataView(buf.buffer);
  return {
    pid: dv.getInt32(0, true),
    uid: dv.getUint32(4, true),
    gid: dv.getUint32(8, true),
  };
}
