/**
 * Client side of the admin API: `GET /status` over the Unix socket.
 * @module
 */
import http from "node:http";

/** The runtime's `/status` JSON, or `undefined` when no runtime answers on `socketPath`. */
export function fetchAdminStatus(
  socketPath: string,
  timeoutMs = 3000,
): Promise<Record<string, unknown> | undefined> {
  return new Promise((resolve) => {
    const req = http.request(
      { socketPath, path: "/status", method: "GET", agent: false },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c) => body += c);
        res.on("end", () => {
          try {
            resolve(res.statusCode === 200 ? JSON.parse(body) : undefined);
          } catch {
            resolve(undefined);
          }
        });
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy());
    req.on("error", () => resolve(undefined));
    req.end();
  });
}
