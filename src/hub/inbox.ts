/**
 * De-duplication of messages from the hub across reconnects and restarts:
 * by `msg_id` (durable, `hub-inbox.seen` in the state dir) and by resource +
 * resourceversion (KubeEdge dedupes by object UID and resource version).
 * @module
 */
import { type Message, resourceVersionKey } from "../message/mod.ts";
import type { Logger } from "../log/mod.ts";
import { openSeenLog, type SeenLog } from "../store/seen_log.ts";
import type { Store } from "../store/mod.ts";

/** File of the inbox's seen IDs in the state dir. */
export const INBOX_FILE = "hub-inbox.seen";

/** Remembers what was already handled. */
export class Inbox {
  readonly #seen: SeenLog;

  private constructor(seen: SeenLog) {
    this.#seen = seen;
  }

  /** Open the inbox log in `store`'s directory. */
  static async open(
    store: Store,
    options: { capacity?: number; logger?: Logger; file?: string } = {},
  ): Promise<Inbox> {
    return new Inbox(
      await openSeenLog(`${store.dir}/${options.file ?? INBOX_FILE}`, options),
    );
  }

  /** True when `msg` (by id, or by resource version) was already handled. */
  isDuplicate(msg: Message): boolean {
    if (this.#seen.has(idKey(msg.header.msg_id))) return true;
    const rv = resourceVersionKey(msg);
    return rv !== undefined && this.#seen.has(keyOf(rv));
  }

  /** Record `msg` as handled; resolves once durable. */
  async record(msg: Message): Promise<void> {
    const rv = resourceVersionKey(msg);
    await Promise.all([
      this.#seen.add(idKey(msg.header.msg_id)),
      rv === undefined ? undefined : this.#seen.add(keyOf(rv)),
    ]);
  }

  /** Flush and close. */
  close(): Promise<void> {
    return this.#seen.close();
  }
}

function idKey(id: string): string {
  return encodeURIComponent(id);
}

function keyOf(rv: string): string {
  return `rv:${encodeURIComponent(rv)}`;
}
