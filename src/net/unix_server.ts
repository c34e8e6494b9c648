/**
 * A Unix stream socket server on the C library (`src/libc.ts`, FFI):
 * `socket`/`bind`/`listen`, non-blocking `accept4`, `recv`-less `read` and
 * `send`, and one `epoll_wait` at a time on a worker thread (a non-blocking
 * FFI call) that tells the JS thread which sockets are ready.
 *
 * Why not `node:net`: the Workload API needs the file descriptor of each
 * accepted socket, for `SO_PEERCRED`; Deno's own `Deno.listen` does not
 * expose it, and loading `node:net` sets up the Node compatibility layer
 * and its streams, ~25 ms of CPU before the Workload API can serve (see
 * `scripts/bench/process.ts`). Here the descriptor is ours from `accept4`.
 *
 * A connection ({@link UnixConnection}) has the operations the HTTP/2 server
 * uses (`write`, `end`, `destroy`, `data` and `close` events). Writes go out
 * at once when the socket takes them and are queued (in order) until it is
 * writable again otherwise. The peer's end of stream ends the connection
 * (after what is queued has gone out), like a `node:net` socket without
 * half-open. Linux only (epoll, `struct epoll_event` layout per arch).
 *
 * The price: a socket becoming readable reaches the JS thread through a
 * non-blocking FFI call's completion, ~0.1 ms later than `node:net`'s
 * reactor would tell it (1-byte echo round trip here: p50 ~110 µs against
 * ~25-45 µs). Writes go out synchronously and are not affected, so a held
 * stream's updates are not either.
 *
 * @example
 * ```ts
 * const server = await listenUnix({
 *   path: "/run/app.sock",
 *   onConnection: (conn) => conn.on("data", (b) => conn.write(b)),
 * });
 * await server.close(); // resolves once every connection has closed
 * ```
 * @module
 */
import { EdgeError } from "../errors.ts";
import { errno, libc } from "../libc.ts";
import { schedule } from "../clock.ts";

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const EPOLL_CTL_ADD = 1;
const EPOLL_CTL_DEL = 2;
const EPOLL_CTL_MOD = 3;
const EPOLLIN = 0x1;
const EPOLLOUT = 0x4;
const EPOLLERR = 0x8;
const EPOLLHUP = 0x10;
const EPOLLRDHUP = 0x2000;
const MSG_NOSIGNAL = 0x4000;
const SHUT_WR = 1;
const EINTR = 4;
const EAGAIN = 11;
const ECONNABORTED = 103;
const EMFILE = 24;
const ENFILE = 23;
/** `sizeof(sun_path)`, with its terminating NUL. */
const SUN_PATH_MAX = 108;
/** `struct epoll_event` is packed on x86_64 only. */
const EVENT_SIZE = Deno.build.arch === "x86_64" ? 12 : 16;
const DATA_OFFSET = Deno.build.arch === "x86_64" ? 4 : 8;
const MAX_EVENTS = 64;
const READ_SIZE = 64 * 1024;
/**
 * Most bytes queued for a peer that does not read: beyond, the connection
 * is closed rather than letting one local client grow our memory.
 */
const MAX_QUEUED = 16 * 1024 * 1024;
/** How long accepting pauses when the process is out of descriptors. */
const ACCEPT_PAUSE_MS = 100;
/** Poller tokens below this are the server's own descriptors. */
const WAKE = 0;
const LISTENER = 1;

/** Options of {@link listenUnix}. */
export interface UnixServerOptions {
  /** Absolute path of the socket; must not exist (see `unix_socket.ts`). */
  path: string;
  /** @default 511 */
  backlog?: number;
  /** A new connection: set its listeners before returning. */
  onConnection(conn: UnixConnection): void;
  /**
   * Accepting failed (e.g. out of descriptors), or a connection's listener
   * threw (that connection is closed); the server keeps going.
   */
  onError?(err: Error): void;
}

/** A listening server. */
export interface UnixServer {
  /**
   * Stop accepting (close the listening socket). Resolves once every
   * connection has closed as well; the socket file is the caller's to remove.
   */
  close(): Promise<void>;
}

type Listener = (chunk: Uint8Array) => void;

/** One accepted connection. */
export class UnixConnection {
  /** The socket's descriptor (e.g. for `SO_PEERCRED`); -1 once closed. */
  fd: number;
  readonly #poller: Poller;
  readonly #token: number;
  #onData: Listener[] = [];
  #onClose: (() => void)[] = [];
  #queue: Uint8Array[] = [];
  #queued = 0;
  #watchingOut = false;
  #ending = false;
  /** The peer's end of stream was read (it sends no more). */
  #peerEnded = false;

  /** @internal */
  constructor(fd: number, poller: Poller, token: number) {
    this.fd = fd;
    this.#poller = poller;
    this.#token = token;
  }

  /** `data` (bytes as they arrive) or `close` (once; `error` is accepted and never fires). */
  on(event: "data", cb: (chunk: Uint8Array) => void): this;
  on(event: "close" | "error", cb: () => void): this;
  on(event: string, cb: (chunk: Uint8Array) => void): this {
    if (event === "data") this.#onData.push(cb);
    else if (event === "close") this.#onClose.push(cb as () => void);
    return this;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.fd < 0;
  }

  /**
   * Send `data` (in order after anything queued); ignored once ending.
   * Closes the connection when more than 16 MiB would wait for the peer.
   */
  write(data: Uint8Array): void {
    if (this.closed || this.#ending) return;
    if (this.#queue.length > 0) {
      this.#enqueue(data.slice());
      return;
    }
    const sent = this.#send(data);
    if (sent < 0) return;
    if (sent < data.length) {
      this.#enqueue(data.slice(sent));
      if (!this.closed) this.#watch(true);
    }
  }

  #enqueue(data: Uint8Array): void {
    this.#queued += data.length;
    if (this.#queued > MAX_QUEUED) {
      this.destroy();
      return;
    }
    this.#queue.push(data);
  }

  /** Send what is queued, then end our side; the peer's close closes it. */
  end(): void {
    if (this.closed || this.#ending) return;
    this.#ending = true;
    if (this.#queue.length === 0) libc().shutdown(this.fd, SHUT_WR);
  }

  /** Close now; queued data is dropped. `close` listeners run once. */
  destroy(): void {
    if (this.closed) return;
    const fd = this.fd;
    this.fd = -1;
    this.#queue = [];
    this.#queued = 0;
    this.#poller.remove(this.#token, fd);
    libc().close(fd);
    const listeners = this.#onClose;
    this.#onClose = [];
    this.#onData = [];
    queueMicrotask(() => {
      for (const cb of listeners) cb();
    });
  }

  /** @internal The poller saw `events` on this socket. */
  ready(events: number, buf: Uint8Array): void {
    // after a hang-up a send fails at once (EPIPE): that closes it
    if (
      events & EPOLLOUT ||
      (events & (EPOLLHUP | EPOLLERR) && this.#queue.length > 0)
    ) this.#flush();
    if (!this.closed && events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) {
      this.#read(buf);
    }
  }

  #read(buf: Uint8Array): void {
    const c = libc();
    for (let i = 0; i < 16 && !this.closed; i++) {
      const n = Number(c.read(this.fd, buf, BigInt(buf.length)));
      if (n > 0) {
        const chunk = buf.slice(0, n);
        for (const cb of this.#onData) cb(chunk);
        continue;
      }
      if (n < 0) {
        const e = errno();
        if (e === EINTR) continue;
        if (e === EAGAIN) return;
        this.destroy();
        return;
      }
      // end of stream: the peer sends no more (no half-open connections):
      // close once what is queued has gone out, meanwhile watch only for
      // writability (a level-triggered EOF would wake the loop non-stop)
      this.#peerEnded = true;
      this.#ending = true;
      if (this.#queue.length === 0) {
        this.destroy();
      } else {
        this.#watchingOut = true;
        this.#poller.modify(this.#token, this.fd, EPOLLOUT);
      }
      return;
    }
  }

  /** `send` once (retrying EINTR): bytes taken, or -1 after a failure closed it. */
  #send(data: Uint8Array): number {
    const c = libc();
    for (;;) {
      const n = Number(
        c.send(this.fd, data, BigInt(data.length), MSG_NOSIGNAL),
      );
      if (n >= 0) return n;
      const e = errno();
      if (e === EINTR) continue;
      if (e === EAGAIN) return 0;
      this.destroy();
      return -1;
    }
  }

  #flush(): void {
    while (this.#queue.length > 0 && !this.closed) {
      const head = this.#queue[0];
      const sent = this.#send(head);
      if (sent < 0) return;
      this.#queued -= sent;
      if (sent < head.length) {
        this.#queue[0] = head.subarray(sent);
        return;
      }
      this.#queue.shift();
    }
    if (this.closed) return;
    if (this.#peerEnded) {
      this.destroy();
      return;
    }
    this.#watch(false);
    if (this.#ending) libc().shutdown(this.fd, SHUT_WR);
  }

  #watch(out: boolean): void {
    if (this.#watchingOut === out) return;
    this.#watchingOut = out;
    this.#poller.modify(
      this.#token,
      this.fd,
      EPOLLIN | EPOLLRDHUP | (out ? EPOLLOUT : 0),
    );
  }
}

/** One epoll instance with a wake-up eventfd; `run` is its loop. */
class Poller {
  readonly ep: number;
  readonly #wake: number;
  readonly #event = new Uint8Array(EVENT_SIZE);
  readonly #eventView = new DataView(this.#event.buffer);

  constructor() {
    const c = libc();
    this.ep = c.epoll_create1(SOCK_CLOEXEC);
    if (this.ep < 0) throw sysError("epoll_create1", errno());
    this.#wake = c.eventfd(0, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (this.#wake < 0) {
      const e = errno();
      c.close(this.ep);
      throw sysError("eventfd", e);
    }
    this.add(WAKE, this.#wake, EPOLLIN);
  }

  #ctl(op: number, token: number, fd: number, events: number): number {
    const v = this.#eventView;
    v.setUint32(0, events, true);
    v.setUint32(DATA_OFFSET, token, true);
    v.setUint32(DATA_OFFSET + 4, 0, true);
    return libc().epoll_ctl(this.ep, op, fd, this.#event);
  }

  add(token: number, fd: number, events: number): void {
    if (this.#ctl(EPOLL_CTL_ADD, token, fd, events) < 0) {
      throw sysError("epoll_ctl(ADD)", errno());
    }
  }

  modify(token: number, fd: number, events: number): void {
    this.#ctl(EPOLL_CTL_MOD, token, fd, events);
  }

  remove(token: number, fd: number): void {
    this.#ctl(EPOLL_CTL_DEL, token, fd, 0);
  }

  /** Make a pending `epoll_wait` return. */
  wake(): void {
    libc().write(this.#wake, BigUint64Array.of(1n), 8n);
  }

  /**
   * Wait for events and hand each `(token, events)` to `dispatch`, until
   * `done()` is true after a wait; then free the descriptors.
   */
  async run(
    dispatch: (token: number, events: number) => void,
    done: () => boolean,
  ): Promise<void> {
    const c = libc();
    const events = new Uint8Array(EVENT_SIZE * MAX_EVENTS);
    const view = new DataView(events.buffer);
    const drain = new Uint8Array(8);
    try {
      while (!done()) {
        const n = await c.epoll_wait(this.ep, events, MAX_EVENTS, -1);
        // -1 is EINTR (errno is the worker thread's, not readable here)
        for (let i = 0; i < n; i++) {
          const at = i * EVENT_SIZE;
          const token = view.getUint32(at + DATA_OFFSET, true);
          const mask = view.getUint32(at, true);
          if (token === WAKE) c.read(this.#wake, drain, 8n);
          else dispatch(token, mask);
        }
      }
    } finally {
      c.close(this.#wake);
      c.close(this.ep);
    }
  }
}

function sysError(call: string, code: number): EdgeError {
  return new EdgeError(
    "SOCKET_FAILED",
    `${call} failed (errno ${code}${
      code === EMFILE ? ", EMFILE: too many open files" : ""
    })`,
  );
}

/** `struct sockaddr_un` for `path`; throws when the path does not fit. */
function sockaddr(path: string): Uint8Array<ArrayBuffer> {
  const bytes = new TextEncoder().encode(path);
  if (bytes.length >= SUN_PATH_MAX) {
    throw new EdgeError(
      "SOCKET_FAILED",
      `socket path is ${bytes.length} bytes, Unix sockets allow at most ${
        SUN_PATH_MAX - 1
      }: ${path}`,
    );
  }
  const addr = new Uint8Array(2 + bytes.length + 1);
  addr[0] = AF_UNIX; // sa_family, little-endian u16 on Linux
  addr.set(bytes, 2);
  return addr;
}

/**
 * Listen on the Unix socket `options.path` (creating the socket file).
 * Rejects with `SOCKET_FAILED` naming the path or the call that failed.
 */
export function listenUnix(options: UnixServerOptions): Promise<UnixServer> {
  try {
    return Promise.resolve(listen(options));
  } catch (err) {
    return Promise.reject(err);
  }
}

function listen(options: UnixServerOptions): UnixServer {
  const c = libc();
  const addr = sockaddr(options.path);
  const lfd = c.socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (lfd < 0) throw sysError("socket", errno());
  if (c.bind(lfd, addr, addr.length) < 0) {
    const e = errno();
    c.close(lfd);
    throw new EdgeError(
      "SOCKET_FAILED",
      `cannot bind ${options.path} (errno ${e}${
        e === 98 ? ", EADDRINUSE" : e === 13 ? ", EACCES" : ""
      })`,
    );
  }
  if (c.listen(lfd, options.backlog ?? 511) < 0) {
    const e = errno();
    c.close(lfd);
    throw sysError("listen", e);
  }
  let poller: Poller;
  try {
    poller = new Poller();
    poller.add(LISTENER, lfd, EPOLLIN);
  } catch (err) {
    c.close(lfd);
    throw err;
  }
  const conns = new Map<number, UnixConnection>();
  const buf = new Uint8Array(READ_SIZE);
  let nextToken = 2;
  let listening = true;
  let cancelPause = () => {};

  const accept = () => {
    for (;;) {
      const fd = c.accept4(lfd, null, null, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        const e = errno();
        if (e === EINTR || e === ECONNABORTED) continue;
        if (e === EAGAIN) return;
        options.onError?.(sysError("accept4", e));
        if (e === EMFILE || e === ENFILE) {
          // level-triggered: without a pause the loop would spin
          poller.remove(LISTENER, lfd);
          cancelPause = schedule(() => {
            if (listening) poller.add(LISTENER, lfd, EPOLLIN);
          }, ACCEPT_PAUSE_MS);
        }
        return;
      }
      const token = nextToken++;
      const conn = new UnixConnection(fd, poller, token);
      conns.set(token, conn);
      conn.on("close", () => {
        conns.delete(token);
        if (!listening && conns.size === 0) poller.wake();
      });
      try {
        poller.add(token, fd, EPOLLIN | EPOLLRDHUP);
      } catch (err) {
        conn.destroy();
        options.onError?.(err as Error);
        continue;
      }
      try {
        options.onConnection(conn);
      } catch (err) {
        conn.destroy();
        options.onError?.(err as Error);
      }
    }
  };

  const loop = poller.run((token, events) => {
    if (token === LISTENER) {
      if (listening) accept();
      return;
    }
    const conn = conns.get(token);
    try {
      conn?.ready(events, buf);
    } catch (err) {
      // a listener threw: that connection ends, the server goes on
      conn?.destroy();
      options.onError?.(err as Error);
    }
  }, () => !listening && conns.size === 0);

  return {
    close() {
      if (listening) {
        listening = false;
        cancelPause();
        poller.remove(LISTENER, lfd);
        c.close(lfd);
        poller.wake();
      }
      return loop;
    },
  };
}
