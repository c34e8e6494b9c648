/**
 * The one binding of the C library, through FFI (`--allow-ffi`), for what
 * Deno has no API for: the Workload API's Unix socket server and
 * `SO_PEERCRED` (`net/unix_server.ts`, the attestor),
 * `/proc` reads (Deno's permission model refuses `/proc/<pid>` without
 * `--allow-all`, so they use plain `open`/`read`/`readlink`), and
 * `madvise`/`malloc_trim` (`memory_trim.ts`).
 * @module
 */

const SYMBOLS = {
  getsockopt: {
    parameters: ["i32", "i32", "i32", "buffer", "buffer"],
    result: "i32",
  },
  open: { parameters: ["buffer", "i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
  readlink: { parameters: ["buffer", "buffer", "usize"], result: "isize" },
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  listen: { parameters: ["i32", "i32"], result: "i32" },
  accept4: {
    parameters: ["i32", "pointer", "pointer", "i32"],
    result: "i32",
  },
  send: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
  shutdown: { parameters: ["i32", "i32"], result: "i32" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  epoll_create1: { parameters: ["i32"], result: "i32" },
  epoll_ctl: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  /** Blocks: runs on a worker thread, the promise settles when it returns. */
  epoll_wait: {
    parameters: ["i32", "buffer", "i32", "i32"],
    result: "i32",
    nonblocking: true,
  },
  __errno_location: { parameters: [], result: "pointer" },
  madvise: { parameters: ["pointer", "usize", "i32"], result: "i32" },
  malloc_trim: { parameters: ["usize"], result: "i32" },
} as const;

let lib: Deno.DynamicLibrary<typeof SYMBOLS> | undefined;

/**
 * The loaded libc symbols (loaded once). Throws when libc cannot be loaded
 * (no `--allow-ffi`, not glibc).
 */
export function libc(): Deno.DynamicLibrary<typeof SYMBOLS>["symbols"] {
  lib ??= Deno.dlopen("libc.so.6", SYMBOLS);
  return lib.symbols;
}

/**
 * `errno` of the last failed call made on this (the JS) thread: read it
 * right after the call that returned -1.
 */
export function errno(): number {
  const p = libc().__errno_location();
  return p ? new Deno.UnsafePointerView(p).getInt32() : 0;
}

const O_RDONLY = 0;
const O_CLOEXEC = 0o2000000;
const enc = new TextEncoder();
const dec = new TextDecoder();

function cPath(path: string): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(enc.encode(path).length + 1);
  b.set(enc.encode(path));
  return b;
}

/**
 * Read a small file (e.g. `/proc/<pid>/stat`) as text, at most `max` bytes.
 * Throws `Deno.errors.NotFound` when it cannot be opened.
 */
export function readSmallFile(path: string, max = 64 * 1024): string {
  const c = libc();
  const fd = c.open(cPath(path), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw new Deno.errors.NotFound(`cannot open ${path}`);
  try {
    const buf = new Uint8Array(max);
    let off = 0;
    while (off < max) {
      const n = Number(c.read(fd, buf.subarray(off), BigInt(max - off)));
      if (n < 0) throw new Deno.errors.NotFound(`cannot read ${path}`);
      if (n === 0) break;
      off += n;
    }
    return dec.decode(buf.subarray(0, off));
  } finally {
    c.close(fd);
  }
}

/** `readlink(2)`: the target of a symbolic link such as `/proc/<pid>/exe`. */
export function readLink(path: string): string {
  const buf = new Uint8Array(4096);
  const n = Number(libc().readlink(cPath(path), buf, BigInt(buf.length)));
  if (n < 0) throw new Deno.errors.NotFound(`cannot read the link ${path}`);
  return dec.decode(buf.subarray(0, n));
}
