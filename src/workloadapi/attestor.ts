/**
 * The Unix workload attestor: kernel credentials of the connection
 * (`SO_PEERCRED`, captured when the connection is accepted) plus facts read
 * from `/proc/<pid>` → selectors.
 *
 * **PID reuse.** The process start time is recorded at accept time and read
 * again before and after `/proc/<pid>` (exe, cgroup) is read; any change, or
 * the process gone, fails attestation — a different process that got the
 * same pid never inherits the caller's identity. uid/gid always come from
 * the kernel credentials, never from `/proc`.
 *
 * The executable's SHA-256 is cached by device + inode + mtime, and `/proc`
 * reads are only done for selector kinds some entry uses.
 *
 * @example
 * ```ts
 * const attestor = new UnixAttestor();
 * const peer = capturePeer(fd);                    // at accept
 * const selectors = await attestor.attest(peer);   // per call
 * ```
 * @module
 */
import { EdgeError } from "../errors.ts";
import { type PeerCredentials, peerCredentials } from "./peercred.ts";
import { readLink, readSmallFile } from "../libc.ts";
import {
  containerIdFromCgroup,
  parseIdNames,
  type ProcessFacts,
  selectorsFor,
  startTimeFromStat,
} from "./selectors.ts";

/** Kernel credentials of a connection plus the caller's start time. */
export interface AttestedPeer extends PeerCredentials {
  /** Start time of `pid` when the connection was accepted. */
  startTime: string;
}

/** Options of {@link UnixAttestor}. */
export interface UnixAttestorOptions {
  /** Root of procfs. @default "/proc" */
  procRoot?: string;
  /** @default "/etc/passwd" */
  passwdPath?: string;
  /** @default "/etc/group" */
  groupPath?: string;
  /**
   * Selector kinds (`unix:path`, `unix:sha256`, `container:id`, …) worth
   * reading; others are skipped. @default every kind
   */
  wantedKinds?: () => ReadonlySet<string>;
}

function failed(message: string, cause?: unknown): EdgeError {
  return new EdgeError("ATTESTATION_FAILED", message, { cause });
}

function readStartTime(procRoot: string, pid: number): string {
  let text: string;
  try {
    text = readSmallFile(`${procRoot}/${pid}/stat`);
  } catch (cause) {
    throw failed(`caller pid ${pid} is gone`, cause);
  }
  const t = startTimeFromStat(text);
  if (t === undefined) throw failed(`cannot parse ${procRoot}/${pid}/stat`);
  return t;
}

/**
 * Credentials of a freshly accepted connection: `SO_PEERCRED` plus the
 * caller's start time (the pid-reuse anchor). Synchronous, so the
 * connection is known before its first request can be read.
 */
export function capturePeer(fd: number, procRoot = "/proc"): AttestedPeer {
  const cred = peerCredentials(fd);
  let text: string;
  try {
    text = readSmallFile(`${procRoot}/${cred.pid}/stat`);
  } catch (cause) {
    throw failed(`caller pid ${cred.pid} is gone`, cause);
  }
  const startTime = startTimeFromStat(text);
  if (startTime === undefined) {
    throw failed(`cannot parse ${procRoot}/${cred.pid}/stat`);
  }
  return { ...cred, startTime };
}

/** Derives selectors for attested peers. */
export class UnixAttestor {
  #procRoot: string;
  #passwdPath: string;
  #groupPath: string;
  #wanted: () => ReadonlySet<string> | undefined;
  #hashes = new Map<string, string>();
  #names?: {
    at: number;
    users: Map<number, string>;
    groups: Map<number, string>;
  };

  constructor(options: UnixAttestorOptions = {}) {
    this.#procRoot = options.procRoot ?? "/proc";
    this.#passwdPath = options.passwdPath ?? "/etc/passwd";
    this.#groupPath = options.groupPath ?? "/etc/group";
    this.#wanted = options.wantedKinds ?? (() => undefined);
  }

  /**
   * Selectors of `peer`. Throws `ATTESTATION_FAILED` when the process is
   * gone or its pid now belongs to another process.
   */
  async attest(peer: AttestedPeer): Promise<string[]> {
    const wanted = this.#wanted();
    const want = (k: string) => wanted === undefined || wanted.has(k);
    const base = `${this.#procRoot}/${peer.pid}`;
    const before = readStartTime(this.#procRoot, peer.pid);
    if (before !== peer.startTime) {
      throw failed(`caller pid ${peer.pid} was reused by another process`);
    }
    const facts: ProcessFacts = { uid: peer.uid, gid: peer.gid };
    if (want("unix:user") || want("unix:group")) {
      const names = await this.#idNames();
      facts.user = names.users.get(peer.uid);
      facts.group = names.groups.get(peer.gid);
    }
    if (want("unix:path") || want("unix:sha256")) {
      try {
        facts.path = readLink(`${base}/exe`);
      } catch (cause) {
        throw failed(`cannot read the executable of pid ${peer.pid}`, cause);
      }
      if (want("unix:sha256")) facts.sha256 = await this.#sha256(facts.path);
    }
    if (want("container:id")) {
      let cgroup = "";
      try {
        cgroup = readSmallFile(`${base}/cgroup`);
      } catch { /* no cgroup file: no container id */ }
      facts.containerId = containerIdFromCgroup(cgroup);
    }
    const after = readStartTime(this.#procRoot, peer.pid);
    if (after !== peer.startTime) {
      throw failed(`caller pid ${peer.pid} was reused by another process`);
    }
    return selectorsFor(facts);
  }

  async #sha256(exe: string): Promise<string> {
    let st: Deno.FileInfo;
    try {
      st = await Deno.stat(exe);
    } catch (cause) {
      throw failed(`cannot stat the executable ${exe}`, cause);
    }
    const key = `${st.dev}:${st.ino}:${st.mtime?.getTime()}:${st.size}`;
    const hit = this.#hashes.get(key);
    if (hit) return hit;
    // Executables can be large: OpenSSL's SHA-256, loaded on first use
    // (`node:crypto` is kept out of start-up, see `src/digest.ts`).
    const { createHash } = await import("node:crypto");
    const hash = createHash("sha256");
    using file = await Deno.open(exe);
    const buf = new Uint8Array(1 << 20);
    for (;;) {
      const n = await file.read(buf);
      if (n === null) break;
      hash.update(buf.subarray(0, n));
    }
    const hex = hash.digest("hex");
    if (this.#hashes.size > 256) this.#hashes.clear();
    this.#hashes.set(key, hex);
    return hex;
  }

  async #idNames() {
    const now = Date.now();
    if (this.#names && now - this.#names.at < 5_000) return this.#names;
    const [p, g] = await Promise.all([
      Deno.readTextFile(this.#passwdPath).catch(() => ""),
      Deno.readTextFile(this.#groupPath).catch(() => ""),
    ]);
    this.#names = { at: now, users: parseIdNames(p), groups: parseIdNames(g) };
    return this.#names;
  }
}
