/**
 * The local message API (hono): workloads publish upstream and receive the
 * messages the hub routes to them. Every request is attested like the
 * Workload API: the caller's selectors (SO_PEERCRED + /proc) are matched
 * against the registration entries, and the caller acts as the SPIFFE ID of
 * a matching entry — the `source` of what it publishes, the `destination`
 * it receives.
 *
 * - `POST /v1/messages` `{resource, content, operation?, destination?, id?,
 *   spiffeId?}` → 202 `{msg_id}` once the message is durable in the outbox.
 *   `id` (a msg_id chosen by the caller) makes retries idempotent. 503 with
 *   `Retry-After` when the outbox is full; 403 when no entry matches.
 * - `GET /v1/messages` → `text/event-stream`: one `message` event per hub
 *   message whose `route.destination` is the caller's SPIFFE ID.
 * @module
 */
import { Hono } from "hono";
import { EdgeError, isEdgeError } from "../errors.ts";
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  encodeMessage,
  type Message,
  newMessage,
} from "../message/mod.ts";
import type { Clock } from "../clock.ts";
import type { Subscribers } from "./subscribers.ts";

/** Per-request environment given by the socket adapter. */
export interface MessageApiEnv {
  /** The caller's selectors, or the reason attestation failed. */
  attest(): Promise<string[]>;
}

/** What the app needs. */
export interface MessageApiDeps {
  /** Queue upstream; resolves once durable (the hub link's `publish`). */
  publish(msg: Message): Promise<void>;
  /** SPIFFE IDs of the entries matching these selectors. */
  idsFor(selectors: readonly string[]): string[];
  subscribers: Subscribers;
  clock: Clock;
}

const MSG_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function bad(message: string): never {
  throw new EdgeError("MESSAGE_INVALID", message);
}

/** Build the app. */
export function createMessageApp(
  deps: MessageApiDeps,
): Hono<{ Bindings: MessageApiEnv }> {
  const app = new Hono<{ Bindings: MessageApiEnv }>();

  const callerIds = async (env: MessageApiEnv): Promise<string[]> => {
    const ids = deps.idsFor(await env.attest());
    if (ids.length === 0) {
      throw new EdgeError(
        "ATTESTATION_FAILED",
        "no registration entry matches this process",
      );
    }
    return ids;
  };

  app.onError((err, c) => {
    const code = isEdgeError(err) ? err.code : "INTERNAL";
    const status = code === "MESSAGE_INVALID"
      ? 400
      : code === "ATTESTATION_FAILED"
      ? 403
      : code === "OUTBOX_FULL"
      ? 503
      : 500;
    if (status === 503) c.header("Retry-After", "5");
    return c.json({
      error: status === 500
        ? "internal error (see the runtime logs)"
        : err.message,
      code,
    }, status);
  });

  app.post("/v1/messages", async (c) => {
    const ids = await callerIds(c.env);
    const text = await c.req.text();
    if (new TextEncoder().encode(text).length > DEFAULT_MAX_MESSAGE_BYTES) {
      bad(`body: expected at most ${DEFAULT_MAX_MESSAGE_BYTES} bytes`);
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text);
    } catch {
      bad("body: expected JSON");
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      bad("body: expected an object");
    }
    const errors: string[] = [];
    if (typeof body.resource !== "string" || body.resource === "") {
      errors.push("resource: expected a non-empty string");
    }
    if (!("content" in body)) errors.push("content: required");
    for (const k of ["operation", "destination", "spiffeId", "id"]) {
      if (body[k] !== undefined && typeof body[k] !== "string") {
        errors.push(`${k}: expected a string`);
      }
    }
    if (typeof body.id === "string" && !MSG_ID.test(body.id)) {
      errors.push("id: expected 1-128 of A-Z a-z 0-9 . _ : -");
    }
    if (typeof body.spiffeId === "string" && !ids.includes(body.spiffeId)) {
      errors.push("spiffeId: not one of the caller's SPIFFE IDs");
    }
    if (errors.length) bad(`invalid message: ${errors.join("; ")}`);
    const msg = newMessage(
      {
        source: (body.spiffeId as string | undefined) ?? ids[0],
        destination: (body.destination as string | undefined) ?? "",
        group: "user",
        operation: (body.operation as string | undefined) || "publish",
        resource: body.resource as string,
      },
      body.content,
      {
        id: body.id as string | undefined,
        now: deps.clock.now(),
      },
    );
    if (encodeMessage(msg).length > DEFAULT_MAX_MESSAGE_BYTES) {
      bad(`message: expected at most ${DEFAULT_MAX_MESSAGE_BYTES} bytes`);
    }
    await deps.publish(msg);
    return c.json({ msg_id: msg.header.msg_id }, 202);
  });

  app.get("/v1/messages", async (c) => {
    const ids = await callerIds(c.env);
    const enc = new TextEncoder();
    let unsubscribe = () => {};
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(enc.encode(": subscribed\n\n"));
        unsubscribe = deps.subscribers.subscribe(ids, (msg) => {
          try {
            controller.enqueue(enc.encode(
              `event: message\nid: ${msg.header.msg_id}\ndata: ${
                encodeMessage(msg)
              }\n\n`,
            ));
          } catch {
            unsubscribe();
          }
        });
      },
      cancel() {
        unsubscribe();
      },
    });
    return new Response(stream, {
      headers: {
        "content-type": "text/event-stream",
        "cache-control": "no-store",
      },
    });
  });

  app.notFound((c) => c.json({ error: "not found", code: "NOT_FOUND" }, 404));
  return app;
}
