/**
 * Kernel credentials of a Unix-socket peer: `getsockopt(fd, SOL_SOCKET,
 * SO_PEERCRED)` through FFI into libc (Deno has no API for it; needs
 * `--allow-ffi`). The only Deno-specific piece of the attestor.
 * @module
 */
import { EdgeError } from "../errors.ts";

/** `struct ucred`: who connected. */
export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

const SOL_SOCKET = 1;
const SO_PEERCRED = 17;

type Libc = Deno.DynamicLibrary<{
  getsockopt: {
    parameters: ["i32", "i32", "i32", "buffer", "buffer"];
    result: "i32";
  };
}>;
let libc: Libc | undefined;

function open(): Libc {
  if (libc) return libc;
  try {
    libc = Deno.dlopen("libc.so.6", {
      getsockopt: {
        parameters: ["i32", "i32", "i32", "buffer", "buffer"],
        result: "i32",
      },
    });
    return libc;
  } catch (cause) {
    throw new EdgeError(
      "ATTESTATION_FAILED",
      "cannot load libc.so.6 for SO_PEERCRED (is --allow-ffi granted?)",
      { cause },
    );
  }
}

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
  const rc = open().symbols.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, buf, len);
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
