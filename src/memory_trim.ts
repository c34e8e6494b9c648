/**
 * Give back the memory that only start-up needed, once the runtime is up.
 *
 * Most of an idle runtime's resident memory is not its data but pages of
 * the executable (and of libc, …) that start-up touched: module loading,
 * the Node compatibility layer's set-up, TLS and HTTP set-up. They stay
 * mapped although most of them are never used again. {@link trimStartupMemory}
 * asks the kernel to reclaim them (`madvise(MADV_PAGEOUT)`, Linux ≥ 5.4) —
 * only clean, read-only, file-backed pages (no anonymous or dirty page: such
 * a page is always read back from its file when it is used again, never
 * lost and never swapped) — and returns the C heap's free pages to the
 * system (`malloc_trim(0)`). Pages still in use come back on their next
 * touch (a page fault, from the page cache or the disk). Pages that another
 * process maps too (another program run from the same executable) are left
 * in place by the kernel. The call blocks the event loop once, for ~10 ms on
 * the development machines (mostly the kernel's reclaim).
 *
 * Uses FFI into libc (`--allow-ffi`); `/proc/self/smaps` is read through
 * libc because Deno refuses `/proc/self` reads without `--allow-all`.
 * Linux only; elsewhere, or without FFI, it does nothing.
 * @module
 */

import { libc, readSmallFile } from "./libc.ts";

/** `MADV_PAGEOUT` (asm-generic value: x86_64 and aarch64). */
const MADV_PAGEOUT = 21;
/** Largest `/proc/self/smaps` read (~1 KiB per mapping). */
const SMAPS_MAX_BYTES = 4 << 20;

/** One mapping of `/proc/<pid>/smaps`. */
export interface Mapping {
  /** First address. */
  start: bigint;
  /** Address after the last byte. */
  end: bigint;
  /** Permissions, e.g. `r-xp`. */
  perms: string;
  /** The mapped file, or a pseudo name like `[heap]`, or `""`. */
  path: string;
  /** Resident KiB. */
  rssKb: number;
  /** Anonymous (private, written) KiB. */
  anonymousKb: number;
}

/** Parse the text of `/proc/<pid>/smaps`. */
export function parseSmaps(text: string): Mapping[] {
  const out: Mapping[] = [];
  let cur: Mapping | undefined;
  for (const line of text.split("\n")) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \S+\s*(.*)$/.exec(
      line,
    );
    if (head) {
      cur = {
        start: BigInt(`0x${head[1]}`),
        end: BigInt(`0x${head[2]}`),
        perms: head[3],
        path: head[4],
        rssKb: 0,
        anonymousKb: 0,
      };
      out.push(cur);
      continue;
    }
    const field = /^(Rss|Anonymous):\s+(\d+) kB/.exec(line);
    if (field && cur) {
      if (field[1] === "Rss") cur.rssKb = Number(field[2]);
      else cur.anonymousKb = Number(field[2]);
    }
  }
  return out;
}

/**
 * The mappings whose resident pages may be paged out without any cost but
 * a later page fault: a regular file's mapping (not a device, memfd or
 * deleted file), not writable, holding no anonymous page, with resident
 * pages.
 */
export function cleanFileMappings(mappings: readonly Mapping[]): Mapping[] {
  return mappings.filter((m) =>
    m.path.startsWith("/") && !m.path.startsWith("/dev/") &&
    !m.path.startsWith("/memfd:") && !m.path.endsWith(" (deleted)") &&
    m.perms[0] === "r" && m.perms[1] === "-" &&
    m.anonymousKb === 0 && m.rssKb > 0
  );
}

/** What {@link trimStartupMemory} did. */
export interface TrimReport {
  /** Mappings advised to be paged out. */
  mappings: number;
  /** Their resident KiB before (an upper bound of what was given back). */
  residentKb: number;
  /** Why paging out stopped early (e.g. a kernel before 5.4), if it did. */
  pageoutError?: string;
}

/**
 * Page out the clean file-backed pages of this process and trim the C heap
 * (see the module doc). Returns `undefined` when not on Linux or when libc
 * cannot be loaded (no `--allow-ffi`); never throws.
 */
export function trimStartupMemory(): TrimReport | undefined {
  if (Deno.build.os !== "linux") return undefined;
  let c: ReturnType<typeof libc>;
  try {
    c = libc();
  } catch {
    return undefined;
  }
  const report: TrimReport = { mappings: 0, residentKb: 0 };
  let text: string | undefined;
  try {
    text = readSmallFile("/proc/self/smaps", SMAPS_MAX_BYTES);
  } catch {
    report.pageoutError = "cannot read /proc/self/smaps";
  }
  for (const m of cleanFileMappings(parseSmaps(text ?? ""))) {
    const r = c.madvise(
      Deno.UnsafePointer.create(m.start),
      m.end - m.start,
      MADV_PAGEOUT,
    );
    if (r !== 0) {
      report.pageoutError = "madvise(MADV_PAGEOUT) refused (Linux < 5.4?)";
      break;
    }
    report.mappings++;
    report.residentKb += m.rssKb;
  }
  c.malloc_trim(0n);
  return report;
}
