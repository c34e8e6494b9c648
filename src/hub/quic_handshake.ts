/**
 * QUIC handshakes that notice a hub coming back at once. QUIC ignores ICMP,
 * so a handshake sent while the hub is down gets no error: it is only
 * repeated at QUIC's probe timeouts (~1 s, then 2 s, 4 s…). A link that
 * waited on that one handshake would find a restarted hub up to a second or
 * more late. {@link raceQuicHandshakes} therefore starts a fresh handshake
 * every `retryMs` while none has completed, keeps the earlier ones going (a
 * handshake slower than `retryMs` still completes), uses the first that
 * completes and aborts the others: each runs on its own endpoint, and
 * closing the endpoint stops its handshake, so no retransmission of an old
 * attempt reaches the hub later — only its close, one packet, which the hub
 * drops at once. At most `timeoutMs / retryMs` attempts per call.
 *
 * @example
 * ```ts
 * const { conn } = await raceQuicHandshakes(
 *   (endpoint) => Deno.connectQuic({ hostname, port, alpnProtocols, endpoint }),
 *   { timeoutMs: 2000, retryMs: 250 },
 * );
 * ```
 * @module
 */

/** Options of {@link raceQuicHandshakes}. */
export interface HandshakeRaceOptions {
  /** Give up when no handshake completed after this long. */
  timeoutMs: number;
  /** Start a fresh handshake after this long without one completing. */
  retryMs: number;
  /** Abort every handshake. */
  signal?: AbortSignal;
  /**
   * Address to bind each attempt's endpoint to (the hub's address family).
   * @default "::" (dual stack on Linux), "0.0.0.0" where IPv6 is off
   */
  bindHostname?: string;
}

/** The winning handshake. */
export interface HandshakeWin {
  conn: Deno.QuicConn;
  /** How long that handshake took, from its own start (not the race's). */
  handshakeMs: number;
}

/**
 * Run `connect(endpoint)` (a `Deno.connectQuic` on that endpoint) now and
 * again every `retryMs` until one resolves; resolves with that connection.
 * Rejects with the first error of an attempt (the hub answered: retrying
 * will not help), or when `timeoutMs` passes or `signal` aborts. Every
 * other attempt is aborted.
 */
export function raceQuicHandshakes(
  connect: (
    endpoint: Deno.QuicEndpoint,
  ) => Deno.QuicConn | Promise<Deno.QuicConn>,
  options: HandshakeRaceOptions,
): Promise<HandshakeWin> {
  const { timeoutMs, retryMs, signal } = options;
  return new Promise((resolve, reject) => {
    const endpoints = new Set<Deno.QuicEndpoint>();
    let done = false;
    const finish = (
      outcome: HandshakeWin & { endpoint: Deno.QuicEndpoint } | Error,
    ) => {
      if (done) return;
      done = true;
      clearInterval(retry);
      clearTimeout(deadline);
      signal?.removeEventListener("abort", onAbort);
      for (const ep of endpoints) {
        if (outcome instanceof Error || ep !== outcome.endpoint) close(ep);
      }
      if (outcome instanceof Error) reject(outcome);
      else resolve({ conn: outcome.conn, handshakeMs: outcome.handshakeMs });
    };
    const launch = () => {
      let endpoint: Deno.QuicEndpoint;
      try {
        endpoint = bindEndpoint(options.bindHostname);
        endpoints.add(endpoint);
        const started = performance.now();
        Promise.resolve(connect(endpoint)).then(
          (conn) =>
            done ? close(endpoint) : finish({
              conn,
              endpoint,
              handshakeMs: performance.now() - started,
            }),
          // After the race, the rejections of the aborted attempts are moot.
          (err) => finish(err instanceof Error ? err : new Error(String(err))),
        );
      } catch (err) {
        finish(err as Error);
      }
    };
    const onAbort = () => finish(new Error("aborted"));
    const retry = setInterval(launch, retryMs);
    const deadline = setTimeout(
      () => finish(new Error(`no QUIC handshake within ${timeoutMs} ms`)),
      timeoutMs,
    );
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    launch();
  });
}

function bindEndpoint(hostname?: string): Deno.QuicEndpoint {
  if (hostname) return new Deno.QuicEndpoint({ hostname, port: 0 });
  try {
    return new Deno.QuicEndpoint({ hostname: "::", port: 0 });
  } catch {
    return new Deno.QuicEndpoint({ hostname: "0.0.0.0", port: 0 });
  }
}

function close(endpoint: Deno.QuicEndpoint): void {
  try {
    endpoint.close({ closeCode: 0, reason: "handshake not needed" });
  } catch { /* closed */ }
}
