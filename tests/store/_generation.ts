/**
 * The self-checking member values of the crash test: `<kind>-<N>:<L>:` then L
 * padding bytes, so a reader can tell the generation and whether a member is
 * complete.
 * @module
 */
const enc = new TextEncoder();
const dec = new TextDecoder();

/** A member value of generation `gen` with `pad` padding bytes. */
export function member(kind: string, gen: number, pad: number): Uint8Array {
  const head = enc.encode(`${kind}-${gen}:${pad}:`);
  const out = new Uint8Array(head.length + pad).fill(0x2e);
  out.set(head);
  return out;
}

/** Parse and check one member; returns its generation. */
function parse(kind: string, bytes: Uint8Array | undefined): number {
  if (!bytes) throw new Error(`member "${kind}" is missing`);
  const head = dec.decode(bytes.subarray(0, 64));
  const m = head.match(new RegExp(`^${kind}-(\\d+):(\\d+):`));
  if (!m) throw new Error(`member "${kind}" has a bad header`);
  if (bytes.length !== m[0].length + Number(m[2])) {
    throw new Error(`member "${kind}" is incomplete`);
  }
  return Number(m[1]);
}

/** Generation of a key+cert unit; throws when the members disagree or are incomplete. */
export function generationOf(members: Record<string, Uint8Array>): number {
  const key = parse("key", members.key);
  const cert = parse("cert", members.cert);
  if (key !== cert) {
    throw new Error(`key is generation ${key} but cert is ${cert}`);
  }
  return key;
}
