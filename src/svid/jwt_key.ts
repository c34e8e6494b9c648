/**
 * The node JWT signing key, kept in the store so JWT-SVIDs stay verifiable
 * across restarts (unit `workload-jwt-key`, PKCS#8 DER).
 * @module
 */
import {
  encodePrivateKeyPkcs8Der,
  generateKeyPair,
  parsePrivateKeyDer,
} from "../pki/mod.ts";
import type { Store } from "../store/mod.ts";

/** Store unit holding the node JWT key. */
export const JWT_KEY_UNIT = "workload-jwt-key";

/** Load the node JWT key from `store`, creating and saving one when missing. */
export async function loadOrCreateJwtKey(store: Store): Promise<CryptoKeyPair> {
  const got = await store.readUnit(JWT_KEY_UNIT, {
    validate: async (m) => {
      await parsePrivateKeyDer(m.pkcs8);
    },
  });
  if (got) return await parsePrivateKeyDer(got.members.pkcs8);
  const keys = await generateKeyPair(true);
  await store.writeUnit(JWT_KEY_UNIT, {
    pkcs8: await encodePrivateKeyPkcs8Der(keys.privateKey),
  });
  return keys;
}
