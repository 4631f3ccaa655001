// An independent implementation of HS256 COSE_Mac0 CATs for internal/cat's
// interop test (node_test.go): cose-js computes and checks the MACs, cbor
// (npm) encodes and decodes the claims; nothing here shares code with the
// Go package. It reads one JSON request on stdin and writes one JSON answer:
//
//   {"verify": [{"token", "key"}], "mint": [{"claims", "kid", "key", "alg", "cwt"}]}
//   -> {"verify": [{"ok", "error", "alg", "kid", "cwt", "claims"}], "mint": ["token"]}
//
// Keys are hex. Claims travel as typed JSON, so that no value changes kind
// on the way: {"int": "123"} (decimal text), {"str": s}, {"bstr": hex},
// {"arr": [...]}, {"map": [[k, v], ...]} (in the order given, which the
// encoder keeps), {"tag": n, "val": v}.
'use strict';

const cbor = require('cbor');
const cose = require('cose-js');

const CWT_TAG = Buffer.from([0xd8, 0x3d]); // tag 61, as RFC 8392 writes it

function b64url(buf) {
  return Buffer.from(buf).toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromB64url(s) {
  return Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

function toTyped(v) {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error('float in claims: ' + v);
    return { int: String(v) };
  }
  if (typeof v === 'bigint') return { int: v.toString() };
  if (typeof v === 'string') return { str: v };
  if (v instanceof Uint8Array) return { bstr: Buffer.from(v).toString('hex') };
  if (Array.isArray(v)) return { arr: v.map(toTyped) };
  if (v instanceof Map) return { map: [...v.entries()].map(([k, x]) => [toTyped(k), toTyped(x)]) };
  if (v instanceof cbor.Tagged) return { tag: v.tag, val: toTyped(v.value) };
  throw new Error('unexpected value in claims: ' + String(v));
}

function fromTyped(t) {
  if ('int' in t) {
    const n = BigInt(t.int);
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
  }
  if ('str' in t) return t.str;
  if ('bstr' in t) return Buffer.from(t.bstr, 'hex');
  if ('arr' in t) return t.arr.map(fromTyped);
  if ('map' in t) return new Map(t.map.map(([k, v]) => [fromTyped(k), fromTyped(v)]));
  if ('tag' in t) return new cbor.Tagged(t.tag, fromTyped(t.val));
  throw new Error('unexpected typed value ' + JSON.stringify(t));
}

async function verify({ token, key }) {
  const out = { ok: false };
  try {
    let raw = fromB64url(token);
    out.cwt = raw.subarray(0, 2).equals(CWT_TAG);
    if (out.cwt) raw = raw.subarray(2);
    const msg = cbor.decodeFirstSync(raw, { preferMap: true });
    if (!(msg instanceof cbor.Tagged) || msg.tag !== 17) throw new Error('not a COSE_Mac0 (tag 17)');
    const [protectedBytes, unprotected] = msg.value;
    out.alg = cbor.decodeFirstSync(protectedBytes, { preferMap: true }).get(1);
    out.kid = Buffer.from(unprotected.get(4)).toString('utf8');
    const payload = await cose.mac.read(raw, Buffer.from(key, 'hex'));
    out.claims = toTyped(cbor.decodeFirstSync(payload, { preferMap: true }));
    out.ok = true;
  } catch (e) {
    out.error = String(e && e.message ? e.message : e);
  }
  return out;
}

async function mint({ claims, kid, key, alg, cwt }) {
  const payload = cbor.encode(fromTyped(claims));
  const headers = { p: { alg: alg === 4 ? 'SHA-256_64' : 'SHA-256' }, u: { kid } };
  const mac0 = await cose.mac.create(headers, payload, { key: Buffer.from(key, 'hex') });
  return b64url(cwt ? Buffer.concat([CWT_TAG, mac0]) : mac0);
}

async function main() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  const req = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const answer = { verify: [], mint: [] };
  for (const v of req.verify || []) answer.verify.push(await verify(v));
  for (const m of req.mint || []) answer.mint.push(await mint(m));
  process.stdout.write(JSON.stringify(answer));
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e) + '\n');
  process.exit(1);
});
