/**
 * Pure selector derivation: facts about a process (from the kernel and
 * `/proc`) → the `type:key:value` selectors entries are matched against
 * (syntax in `src/config/selector.ts`).
 *
 * @example
 * ```ts
 * selectorsFor({ uid: 1000, gid: 1000, user: "pi" });
 * // ["unix:uid:1000", "unix:gid:1000", "unix:user:pi"]
 * ```
 * @module
 */

/** What is known about a caller. */
export interface ProcessFacts {
  uid: number;
  gid: number;
  /** User name of `uid` (from /etc/passwd). */
  user?: string;
  /** Group name of `gid` (from /etc/group). */
  group?: string;
  /** Absolute path of the executable. */
  path?: string;
  /** SHA-256 (lowercase hex) of the executable. */
  sha256?: string;
  /** Container ID from the cgroup path. */
  containerId?: string;
}

/** The caller's selectors, as strings. */
export function selectorsFor(f: ProcessFacts): string[] {
  const out = [`unix:uid:${f.uid}`, `unix:gid:${f.gid}`];
  if (f.user !== undefined) out.push(`unix:user:${f.user}`);
  if (f.group !== undefined) out.push(`unix:group:${f.group}`);
  if (f.path !== undefined) out.push(`unix:path:${f.path}`);
  if (f.sha256 !== undefined) out.push(`unix:sha256:${f.sha256}`);
  if (f.containerId !== undefined) {
    out.push(`container:id:${f.containerId}`);
  }
  return out;
}

const CONTAINER_ID = /(?:^|[/-])([0-9a-f]{64})(?:\.scope)?$/;

/**
 * Container ID from the text of `/proc/<pid>/cgroup` (v1 or v2): the last
 * 64-hex path component, as Docker (`/docker/<id>`,
 * `docker-<id>.scope`), containerd (`cri-containerd-<id>.scope`), CRI-O
 * (`crio-<id>.scope`), Podman (`libpod-<id>.scope`) and Kubernetes
 * (`/kubepods/…/pod<uid>/<id>`) write it. Undefined outside a container.
 */
export function containerIdFromCgroup(text: string): string | undefined {
  for (const line of text.split("\n")) {
    const parts = line.split(":");
    if (parts.length < 3) continue;
    const path = parts.slice(2).join(":").trim();
    for (const seg of path.split("/").reverse()) {
      if (seg.startsWith("crio-conmon-")) continue;
      const m = CONTAINER_ID.exec(seg);
      if (m) return m[1];
    }
  }
  return undefined;
}

/** `id → name` from `/etc/passwd` or `/etc/group` text (first field, third field). */
export function parseIdNames(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const f = line.split(":");
    if (f.length < 3 || !/^\d+$/.test(f[2])) continue;
    const id = Number(f[2]);
    if (!out.has(id)) out.set(id, f[0]);
  }
  return out;
}

/**
 * Start time of a process (clock ticks since boot, field 22) from the text
 * of `/proc/<pid>/stat`; the command name may contain spaces and ")".
 */
export function startTimeFromStat(text: string): string | undefined {
  const close = text.lastIndexOf(")");
  if (close < 0) return undefined;
  const fields = text.slice(close + 2).split(" ");
  // fields[0] is field 3 (state); field 22 is fields[19]
  const v = fields[19];
  return v !== undefined && /^\d+$/.test(v) ? v : undefined;
}
