/**
 * Vault's error envelope (`{"errors": [...]}`) and the mapping of its HTTP
 * statuses to our error codes, with what to fix. Internal.
 * @module
 */
import { EdgeError } from "../../errors.ts";
import { bodyText, type HttpsResponse } from "../../net/https_client.ts";

/** Vault's JSON error envelope `{"errors": [...]}` as one line. */
export function vaultErrors(res: HttpsResponse): string {
  try {
    const j = JSON.parse(new TextDecoder().decode(res.body));
    if (Array.isArray(j?.errors) && j.errors.length > 0) {
      return j.errors.map(String).join("; ");
    }
  } catch { /* not JSON */ }
  return bodyText(res) || "(no reason given)";
}

/** Map a non-2xx Vault response to an error that says what to fix. */
export function vaultStatusError(
  res: HttpsResponse,
  where: string,
  context: { role?: string; tokenFile: string; path: string },
): EdgeError {
  const why = vaultErrors(res);
  const s = res.status;
  if (s === 403) {
    return new EdgeError(
      "UPSTREAM_REFUSED",
      `${where} refused the token (403 ${why}): check the token in "${context.tokenFile}" ` +
        `and that its policy allows ${context.path}`,
    );
  }
  if (s === 503) {
    return new EdgeError(
      "UPSTREAM_UNAVAILABLE",
      `${where} is sealed or not active (503 ${why}); unseal it or wait for a standby to take over`,
    );
  }
  if (s === 400 || s === 404) {
    return new EdgeError(
      "UPSTREAM_REJECTED",
      context.role
        ? `${where}: role "${context.role}" rejected the request (${s} ${why}); check the role's allowed names and vault.role/vault.mount`
        : `${where}: request rejected (${s} ${why})`,
    );
  }
  return new EdgeError("UPSTREAM_UNAVAILABLE", `${where}: HTTP ${s} ${why}`);
}
