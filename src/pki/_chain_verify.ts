/**
 * The body of `verifyChain` (see `chain.ts`): parse the inputs with the
 * X.509 library, build candidate paths, run the rules on each. Loaded
 * lazily with the library (see `_lazy.ts`). Internal.
 * @module
 */
import { systemClock } from "../clock.ts";
import { EdgeError } from "../errors.ts";
import { buildPaths } from "./_chain_build.ts";
import { DerError } from "./_der.ts";
import { ChainError } from "./_chain_error.ts";
import { checkPath } from "./_chain_rules.ts";
import { checkSvidLeaf } from "./_chain_svid.ts";
import { x509 } from "./_x509.ts";
import type {
  CertificateInput,
  VerifiedChain,
  VerifyChainOptions,
} from "./chain.ts";

/** Parse one certificate input; throws `CERT_INVALID` when unreadable. */
function toCertificate(
  input: CertificateInput,
  what = "certificate",
): x509.X509Certificate {
  if (input instanceof x509.X509Certificate) return input;
  const raw = typeof input === "object" && "der" in input ? input.der : input;
  try {
    return new x509.X509Certificate(
      raw instanceof Uint8Array ? raw.slice().buffer : raw,
    );
  } catch (err) {
    throw new EdgeError(
      "CERT_INVALID",
      `${what}: expected a PEM or DER X.509 certificate, could not parse it`,
      { cause: err },
    );
  }
}

function timeOf(options: VerifyChainOptions): number {
  const { at } = options;
  if (at === undefined) return (options.clock ?? systemClock).now();
  return at instanceof Date ? at.getTime() : at;
}

/** Verify with options already validated (`skewMs` >= 0). */
export async function verifyChainPaths(
  leaf: CertificateInput,
  intermediates: readonly CertificateInput[],
  roots: readonly CertificateInput[],
  options: VerifyChainOptions,
  skewMs: number,
): Promise<VerifiedChain> {
  const leafCert = toCertificate(leaf, "leaf");
  const inters = intermediates.map((c, i) =>
    toCertificate(c, `intermediates[${i}]`)
  );
  const anchors = roots.map((c, i) => toCertificate(c, `roots[${i}]`));
  const rules = {
    at: timeOf(options),
    skewMs,
    purpose: options.purpose ?? "any",
  };
  let first: unknown;
  for (const path of buildPaths(leafCert, inters, anchors)) {
    try {
      await checkPath(path, rules);
      const spiffeId = options.requireSpiffeId
        ? checkSvidLeaf(path, options.trustDomain)
        : undefined;
      return spiffeId === undefined
        ? { chain: path }
        : { chain: path, spiffeId };
    } catch (err) {
      if (err instanceof DerError) {
        throw new EdgeError(
          "CERT_INVALID",
          `a certificate in the chain has a malformed extension: ${err.message}`,
          { cause: err },
        );
      }
      if (!(err instanceof ChainError)) throw err;
      first ??= err;
    }
  }
  throw first;
}
