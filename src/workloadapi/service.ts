/**
 * The Workload API's answers, independent of gRPC: given a caller's
 * selectors, build each response message (proto-loader object form,
 * snake_case fields) or throw a {@link WorkloadApiError} with the status
 * the SPIFFE Workload API standard asks for.
 * @module
 */
import { isEdgeError } from "../errors.ts";
import {
  encodeJwtBundle,
  encodeX509BundleDer,
  trustDomainId,
} from "../bundle/mod.ts";
import { encodeCertificateChainDer } from "../pki/mod.ts";
import type { JwtSvidAuthority } from "../svid/jwt_svid.ts";
import type { X509SvidCache } from "../svid/x509_cache.ts";
import {
  type EntryStore,
  matchEntries,
  type RegistrationEntry,
} from "./entries.ts";
import { toStruct } from "./_struct.ts";

/** gRPC status names the Workload API uses. */
export type WorkloadStatus =
  | "INVALID_ARGUMENT"
  | "PERMISSION_DENIED"
  | "UNAVAILABLE"
  | "UNIMPLEMENTED"
  | "INTERNAL";

/** An error to send to the caller with a status; the message is client-safe. */
export class WorkloadApiError extends Error {
  readonly status: WorkloadStatus;
  constructor(status: WorkloadStatus, message: string) {
    super(message);
    this.name = "WorkloadApiError";
    this.status = status;
  }
}

/** A response plus a fingerprint: streams send again only when it changes. */
export interface Versioned<T> {
  message: T;
  fingerprint: string;
}

/** Dependencies of {@link WorkloadService}. */
export interface WorkloadServiceOptions {
  entries: EntryStore;
  x509: X509SvidCache;
  jwt: JwtSvidAuthority;
}

/** Builds Workload API responses. */
export class WorkloadService {
  #o: WorkloadServiceOptions;

  constructor(options: WorkloadServiceOptions) {
    this.#o = options;
  }

  /** Entries whose selectors the caller has. */
  matches(selectors: ReadonlySet<string>): RegistrationEntry[] {
    return matchEntries(this.#o.entries.list(), selectors);
  }

  /**
   * `X509SVIDResponse` for the caller: one SVID per matching entry (first =
   * default), hints unique. PERMISSION_DENIED without a matching entry;
   * UNAVAILABLE when entries match but no SVID could be issued yet.
   */
  x509Svids(selectors: ReadonlySet<string>): Versioned<unknown> {
    const matched = this.matches(selectors);
    if (matched.length === 0) {
      throw new WorkloadApiError(
        "PERMISSION_DENIED",
        "no identity issued: no registration entry matches the caller",
      );
    }
    const snap = this.#o.x509.snapshot();
    const hints = new Set<string>();
    const svids = [];
    const fp: string[] = [];
    for (const e of matched) {
      const svid = snap.svids.get(e.id);
      if (!svid) continue;
      const hint = e.hint ?? "";
      if (hint !== "") {
        if (hints.has(hint)) continue;
        hints.add(hint);
      }
      svids.push({
        spiffe_id: svid.spiffeId,
        x509_svid: encodeCertificateChainDer(svid.certificates),
        x509_svid_key: svid.privateKeyDer,
        bundle: encodeX509BundleDer(snap.bundle ?? svid.bundle),
        hint,
      });
      fp.push(`${e.id}=${svid.certificates[0].serialHex}/${hint}`);
    }
    if (svids.length === 0) {
      throw new WorkloadApiError(
        "UNAVAILABLE",
        "no X509-SVID available yet for the caller's entries",
      );
    }
    const bundleFp = snap.bundle?.authorities.map((c) => c.serialHex).join(",");
    return {
      message: { svids, crl: [], federated_bundles: {} },
      fingerprint: `${fp.join(";")}|${bundleFp}`,
    };
  }

  /** `X509BundlesResponse`: the trust domain's roots. */
  x509Bundles(): Versioned<unknown> {
    const bundle = this.#o.x509.snapshot().bundle;
    if (!bundle) {
      throw new WorkloadApiError(
        "UNAVAILABLE",
        "no trust bundle available yet",
      );
    }
    return {
      message: {
        crl: [],
        bundles: { [trustDomainId(bundle)]: encodeX509BundleDer(bundle) },
      },
      fingerprint: bundle.authorities.map((c) => c.serialHex).join(","),
    };
  }

  /**
   * `JWTSVIDResponse`: a JWT-SVID per matching identity (or only
   * `spiffeId`, which must be one of them) for `audience`.
   */
  async jwtSvids(
    selectors: ReadonlySet<string>,
    audience: readonly string[],
    spiffeId: string,
  ): Promise<unknown> {
    if (audience.length === 0 || audience.some((a) => a === "")) {
      throw new WorkloadApiError(
        "INVALID_ARGUMENT",
        "audience must be specified",
      );
    }
    let matched = this.matches(selectors);
    if (spiffeId !== "") {
      matched = matched.filter((e) => e.spiffeId === spiffeId);
    }
    if (matched.length === 0) {
      throw new WorkloadApiError(
        "PERMISSION_DENIED",
        spiffeId === ""
          ? "no identity issued: no registration entry matches the caller"
          : `no identity issued: the caller is not entitled to ${spiffeId}`,
      );
    }
    const seen = new Set<string>();
    const svids = [];
    const hints = new Set<string>();
    for (const e of matched) {
      if (seen.has(e.spiffeId)) continue;
      seen.add(e.spiffeId);
      const hint = e.hint ?? "";
      if (hint !== "") {
        if (hints.has(hint)) continue;
        hints.add(hint);
      }
      const { token } = await this.#o.jwt.mint(e.spiffeId, audience);
      svids.push({ spiffe_id: e.spiffeId, svid: token, hint });
    }
    return { svids };
  }

  /** `JWTBundlesResponse`: the JWT bundle as a JWK Set. */
  async jwtBundles(): Promise<Versioned<unknown>> {
    const bundle = this.#o.jwt.bundle();
    const json = await encodeJwtBundle(bundle);
    return {
      message: { bundles: { [trustDomainId(bundle)]: json } },
      fingerprint: bundle.keys.map((k) => k.kid).join(","),
    };
  }

  /** `ValidateJWTSVIDResponse`, or INVALID_ARGUMENT for any invalid input. */
  async validateJwtSvid(audience: string, svid: string): Promise<unknown> {
    if (audience === "") {
      throw new WorkloadApiError(
        "INVALID_ARGUMENT",
        "audience must be specified",
      );
    }
    if (svid === "") {
      throw new WorkloadApiError("INVALID_ARGUMENT", "svid must be specified");
    }
    try {
      const v = await this.#o.jwt.validate(svid, audience);
      return { spiffe_id: v.spiffeId, claims: toStruct(v.claims) };
    } catch (err) {
      if (isEdgeError(err, "JWT_INVALID") || isEdgeError(err, "JWT_EXPIRED")) {
        throw new WorkloadApiError("INVALID_ARGUMENT", err.message);
      }
      throw err;
    }
  }
}
