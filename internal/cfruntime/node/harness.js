// Runs a CloudFront Function in node with the runtime's surface (crypto,
// querystring, Buffer, atob/btoa, TextEncoder/TextDecoder, a frozen Date,
// single-argument console.log, and in 2.0 the cloudfront module's cf.kvs()
// and cf.cwt), for cfruntime's differential tests and
// benchmarks. It speaks JSON lines on stdin/stdout:
//   {"op":"load","code":"...","runtime":"cloudfront-js-2.0"} -> {"ok":true}
//   {"op":"run","event":{...},"now":<ms>,"kvs":<store>}        -> {"output":"...","logs":[...],"error":"..."}
//   {"op":"bench","event":{...},"now":<ms>,"n":<count>,"kvs":<store>} -> {"ns_per_op":<float>}
//   {"op":"load","slot":1,...}: a second function beside the first, for
//   {"op":"pair","event":{...},"now":<ms>,"n":<count>,"kvs":[<store of 0>,<store of 1>]} -> {"ns_per_op":[<0>,<1>]}
//   which runs the two alternately in one loop, each timed on its own.
// <store> (optional) is the key value store cf.kvs() reads:
//   {"id":"...","data":{"<key>":"<base64 value>"},"created":<ms>,"updated":<ms>,"fail":"<reason or empty>"}
// An async handler's promise is awaited; one still pending once every
// queued job has run never settles, as at CloudFront.
'use strict';
const vm = require('vm');
const crypto = require('crypto');
const querystring = require('querystring');
const readline = require('readline');

// fns[slot] is a loaded function: {ctx, store, P, E}; store is the run's
// key value store (see the header). run and bench use slot 0.
const fns = [];
let logs = [];

// The cloudfront module's key value store helpers, to the documented
// contract: get rejects for a missing key, exists resolves a boolean,
// meta resolves {creationDateTime, lastUpdatedDateTime, keyCount}.
// Promises and errors are made in the function's context, so that code
// there sees its own Error and Promise; fn.P and fn.E are that context's,
// looked up once when it is loaded (a lookup per call would be charged to
// the function in benchmarks).
function kvsModule(fn) {
  const fail = (msg) => fn.P.reject(new fn.E(msg));
  return {
    kvs: function (id) {
      const s = fn.store;
      if (!s) throw new Error('no key value store is associated with this function');
      if (id !== undefined && s.id && String(id) !== s.id) {
        throw new Error('the key value store ' + String(id) + ' is not associated with this function');
      }
      return {
        get: function (key, opts) {
          key = String(key);
          const format = opts && opts.format !== undefined ? String(opts.format) : 'string';
          if (s.fail) return fail(s.fail);
          if (!Object.prototype.hasOwnProperty.call(s.data, key)) return fail('Key ' + key + ' not found');
          const v = Buffer.from(s.data[key], 'base64');
          switch (format) {
            case 'string': return fn.P.resolve(v.toString('utf8'));
            case 'json':
              try { return fn.P.resolve(fn.ctx.__parse(v.toString('utf8'))); } catch (e) { return fail('the value of ' + key + ' is not JSON: ' + e.message); }
            case 'bytes': return fn.P.resolve(Buffer.from(v));
          }
          return fail('unknown format "' + format + '": use string, json or bytes');
        },
        exists: function (key) {
          if (s.fail) return fail(s.fail);
          return fn.P.resolve(Object.prototype.hasOwnProperty.call(s.data, String(key)));
        },
        meta: function () {
          if (s.fail) return fail(s.fail);
          return fn.P.resolve({ creationDateTime: new Date(s.created).toISOString(),
            lastUpdatedDateTime: new Date(s.updated).toISOString(), keyCount: Object.keys(s.data).length });
        },
      };
    },
  };
}

// The cloudfront module's cf.cwt, to the same contract and choices as
// cwt.go (whose comment lists them), with node's HMAC and a small CBOR
// codec: strict decoding (definite lengths, no duplicate keys, valid
// UTF-8, no trailing bytes, nesting and sizes bounded as package cat
// bounds them) and core deterministic encoding, so that a token made here
// is byte for byte the one goja makes. Results and errors are made in the
// function's context (fn.O, fn.A, fn.E, fn.TE).
const MAX_TOKEN_BYTES = 768; // cat.MaxTokenBytes: 1024 base64url characters
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const utf8 = new TextDecoder('utf-8', { fatal: true });

function cborDecode(buf) {
  let pos = 0;
  const fail = (why) => { throw new Error(why || 'malformed CBOR'); };
  const need = (n) => { if (pos + n > buf.length) fail(); };
  function arg(info) {
    if (info < 24) return BigInt(info);
    const n = { 24: 1, 25: 2, 26: 4, 27: 8 }[info];
    if (!n) fail(info === 31 ? 'indefinite lengths are not supported' : undefined);
    need(n);
    let v = 0n;
    for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(buf[pos++]);
    return v;
  }
  function len(info, limit) {
    const v = arg(info);
    if (v > BigInt(limit)) fail('too long');
    return Number(v);
  }
  function item(depth) {
    if (depth > 10) fail('nested too deep');
    need(1);
    const ib = buf[pos++], mt = ib >> 5, info = ib & 31;
    switch (mt) {
      case 0: return { k: 'int', v: arg(info) };
      case 1: return { k: 'int', v: -1n - arg(info) };
      case 2: case 3: {
        const n = len(info, buf.length);
        need(n);
        const b = buf.subarray(pos, pos + n);
        pos += n;
        if (mt === 2) return { k: 'bytes', v: Buffer.from(b) };
        try { return { k: 'text', v: utf8.decode(b) }; } catch (e) { return fail('invalid UTF-8'); }
      }
      case 4: {
        const n = len(info, 256), v = [];
        for (let i = 0; i < n; i++) v.push(item(depth + 1));
        return { k: 'arr', v: v };
      }
      case 5: {
        const n = len(info, 256), v = [], seen = new Set();
        for (let i = 0; i < n; i++) {
          // Keys are compared by value, as package cat's decoder does (1
          // written in one byte or in two is one key).
          const start = pos, key = item(depth + 1);
          const id = key.k === 'int' || key.k === 'text' ? key.k + ':' + String(key.v) : buf.subarray(start, pos).toString('hex');
          if (seen.has(id)) fail('duplicate map key');
          seen.add(id);
          v.push([key, item(depth + 1)]);
        }
        return { k: 'map', v: v };
      }
      case 6: return { k: 'tag', n: arg(info), v: item(depth + 1) };
      default:
        switch (info) {
          case 20: return { k: 'simple', v: false };
          case 21: return { k: 'simple', v: true };
          case 22: case 23: return { k: 'simple', v: null };
          case 25: { need(2); const v = half(buf.readUInt16BE(pos)); pos += 2; return { k: 'float', v: v }; }
          case 26: { need(4); const v = buf.readFloatBE(pos); pos += 4; return { k: 'float', v: v }; }
          case 27: { need(8); const v = buf.readDoubleBE(pos); pos += 8; return { k: 'float', v: v }; }
        }
        if (info < 24) return { k: 'simple', v: 'other' };
        if (info === 24) { need(1); pos++; return { k: 'simple', v: 'other' }; }
        return fail();
    }
  }
  const v = item(0);
  if (pos !== buf.length) fail('trailing bytes');
  return v;
}

function half(h) {
  const e = (h >> 10) & 31, m = h & 1023, s = h & 0x8000 ? -1 : 1;
  if (e === 0) return s * m * Math.pow(2, -24);
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * Math.pow(2, e - 15);
}

function head(mt, n) {
  n = BigInt(n);
  if (n < 24n) return Buffer.from([(mt << 5) | Number(n)]);
  if (n < 256n) return Buffer.from([(mt << 5) | 24, Number(n)]);
  if (n < 65536n) { const b = Buffer.alloc(3); b[0] = (mt << 5) | 25; b.writeUInt16BE(Number(n), 1); return b; }
  if (n < 4294967296n) { const b = Buffer.alloc(5); b[0] = (mt << 5) | 26; b.writeUInt32BE(Number(n), 1); return b; }
  const b = Buffer.alloc(9); b[0] = (mt << 5) | 27; b.writeBigUInt64BE(n, 1); return b;
}

// toHalf returns the binary16 bits of f when f is one exactly, else -1.
function toHalf(f) {
  const s = (f < 0 || Object.is(f, -0)) ? 0x8000 : 0, a = Math.abs(f);
  if (a === 0) return s;
  if (a === Infinity) return s | 0x7c00;
  const sub = a * Math.pow(2, 24);
  if (sub < 1024) return Number.isInteger(sub) ? s | sub : -1;
  const e = Math.floor(Math.log2(a));
  if (e > 15) return -1;
  const m = (a / Math.pow(2, e) - 1) * 1024;
  return Number.isInteger(m) && m < 1024 ? s | ((e + 15) << 10) | m : -1;
}

// cborEncode writes a value of the tree cborDecode makes, in core
// deterministic encoding (RFC 8949 4.2.1: shortest forms, map keys in the
// bytewise order of their encodings), as package cat's encoder does.
function cborEncode(x) {
  switch (x.k) {
    case 'int': return x.v < 0n ? head(1, -1n - x.v) : head(0, x.v);
    case 'bytes': return Buffer.concat([head(2, x.v.length), x.v]);
    case 'text': { const b = Buffer.from(x.v, 'utf8'); return Buffer.concat([head(3, b.length), b]); }
    case 'arr': return Buffer.concat([head(4, x.v.length)].concat(x.v.map(cborEncode)));
    case 'map': {
      const pairs = x.v.map(function (p) { return [cborEncode(p[0]), cborEncode(p[1])]; });
      pairs.sort(function (a, b) { return Buffer.compare(a[0], b[0]); });
      return Buffer.concat([head(5, pairs.length)].concat(...pairs));
    }
    case 'tag': return Buffer.concat([head(6, x.n), cborEncode(x.v)]);
    case 'simple': return Buffer.from([x.v === true ? 0xf5 : x.v === false ? 0xf4 : 0xf6]);
    case 'float': {
      const f = x.v;
      if (Number.isNaN(f)) return Buffer.from([0xf9, 0x7e, 0x00]);
      const h = toHalf(f);
      if (h >= 0) { const b = Buffer.alloc(3); b[0] = 0xf9; b.writeUInt16BE(h, 1); return b; }
      if (Math.fround(f) === f) { const b = Buffer.alloc(5); b[0] = 0xfa; b.writeFloatBE(f, 1); return b; }
      const b = Buffer.alloc(9); b[0] = 0xfb; b.writeDoubleBE(f, 1); return b;
    }
  }
  throw new Error('cannot encode ' + x.k);
}

function mac0Tag(key, protectedBytes, payload) {
  const structure = cborEncode({ k: 'arr', v: [{ k: 'text', v: 'MAC0' }, { k: 'bytes', v: protectedBytes }, { k: 'bytes', v: Buffer.alloc(0) }, { k: 'bytes', v: payload }] });
  return crypto.createHmac('sha256', key).update(structure).digest();
}

function cwtModule(fn) {
  const typeError = (msg) => new fn.TE(msg);
  const failure = (msg) => new fn.E(msg);
  function keyOf(ctx, name) {
    if (ctx === null || (typeof ctx !== 'object' && typeof ctx !== 'function')) throw typeError(name + ': the context must be an object holding key');
    const k = ctx.key;
    let key = Buffer.alloc(0);
    if (k === undefined || k === null) { /* empty */ } else if (Buffer.isBuffer(k)) key = Buffer.from(k);
    else if (typeof k === 'string') key = Buffer.from(k, 'utf8');
    else throw typeError(name + ': key must be a string or a Buffer');
    if (key.length === 0) throw typeError(name + ': key is required and must not be empty');
    return key;
  }
  const mapGet = (m, n) => { const p = m.v.find((e) => e[0].k === 'int' && e[0].v === n); return p && p[1]; };
  function headerMap(b, emptyOK, what) {
    if (b.length === 0 && emptyOK) return { k: 'map', v: [] };
    let m;
    try { m = cborDecode(b); } catch (e) { throw failure(what + ': ' + e.message); }
    if (m.k !== 'map') throw failure(what + ': not a map');
    check(m, what);
    return m;
  }
  // check refuses what cat.Mac0 does not describe (tags 0 to 3, simple
  // values but true, false, null, undefined, keys but integers and text).
  function check(x, what) {
    if (x.k === 'tag') { if (x.n <= 3n) throw failure(what + ': a time or bignum tag (0 to 3), which is not supported'); return check(x.v, what); }
    if (x.k === 'simple' && x.v === 'other') throw failure(what + ': a simple value, which is not supported');
    if (x.k === 'arr') x.v.forEach((e) => check(e, what));
    if (x.k === 'map') {
      x.v.forEach((p) => {
        check(p[0], what);
        while (p[0].k === 'tag') p[0] = p[0].v; // a tag stands for its content, keys too
        if (p[0].k !== 'int' && p[0].k !== 'text') throw failure(what + ': a map key of type ' + p[0].k);
        check(p[1], what);
      });
    }
  }
  function toJS(x) {
    switch (x.k) {
      case 'tag': return toJS(x.v);
      case 'int':
        if (x.v > MAX_SAFE || x.v < -MAX_SAFE) throw new Error('the integer ' + x.v + ' is beyond 2^53');
        return Number(x.v);
      case 'bytes': return Buffer.from(x.v);
      case 'text': case 'float': return x.v;
      case 'simple': return x.v;
      case 'arr': { const a = new fn.A(); x.v.forEach((e) => a.push(toJS(e))); return a; }
      case 'map': {
        const keys = x.v.map((p) => ({ isInt: p[0].k === 'int', name: String(p[0].v), n: p[0].v, val: p[1] }));
        keys.sort((a, b) => a.isInt && b.isInt ? (a.n < b.n ? -1 : a.n > b.n ? 1 : 0) : a.isInt !== b.isInt ? (a.isInt ? -1 : 1) : (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        const o = new fn.O(), seen = new Set();
        keys.forEach((k) => {
          if (seen.has(k.name)) throw new Error('the map key "' + k.name + '" appears both as an integer and as text');
          seen.add(k.name);
          o[k.name] = toJS(k.val);
        });
        return o;
      }
    }
    throw new Error('a CBOR value of kind ' + x.k + ', which is not supported');
  }
  function fromJS(v, depth) {
    if (depth > 10) throw new Error('nested more than 10 deep');
    if (v === null || v === undefined) return { k: 'simple', v: null };
    switch (typeof v) {
      case 'string': return { k: 'text', v: v };
      case 'boolean': return { k: 'simple', v: v };
      case 'number': return Number.isSafeInteger(v) ? { k: 'int', v: BigInt(v) } : { k: 'float', v: v };
      case 'object': break;
      default: throw new Error('a ' + typeof v + ' cannot be encoded');
    }
    if (Object.prototype.toString.call(v) === '[object Uint8Array]') return { k: 'bytes', v: Buffer.from(v) };
    if (Array.isArray(v)) {
      if (v.length > 256) throw new Error('an array of ' + v.length + ' items; package cat decodes at most 256');
      const a = [];
      for (let i = 0; i < v.length; i++) a.push(fromJS(v[i], depth + 1));
      return { k: 'arr', v: a };
    }
    const m = [];
    Object.keys(v).forEach(function (k) {
      if (v[k] === undefined) return;
      const val = fromJS(v[k], depth + 1);
      const key = /^(0|-?[1-9][0-9]{0,15})$/.test(k) && Number.isSafeInteger(Number(k)) ? { k: 'int', v: BigInt(k) } : { k: 'text', v: k };
      m.push([key, val]);
    });
    return { k: 'map', v: m };
  }
  return {
    validateToken: function (token, ctx) {
      if (!Buffer.isBuffer(token)) throw typeError('validateToken: the token must be a Buffer');
      const key = keyOf(ctx, 'validateToken');
      if (token.length > MAX_TOKEN_BYTES) throw failure('the token is ' + token.length + ' bytes; the limit is ' + MAX_TOKEN_BYTES + ' (1024 base64url characters)');
      let t;
      try { t = cborDecode(token); } catch (e) { throw failure(e.message); }
      if (t.k !== 'tag') throw failure('not a tagged CBOR item');
      if (t.n === 61n) { t = t.v; if (t.k !== 'tag') throw failure('the CWT tag 61 holds no tagged item'); }
      if (t.n !== 17n) throw failure('tag ' + t.n + '; only COSE_Mac0 (tag 17) is supported');
      const parts = t.v;
      if (parts.k !== 'arr' || parts.v.length !== 4) throw failure('tag 17 must hold an array of 4 items');
      [0, 2, 3].forEach(function (i) { if (parts.v[i].k !== 'bytes') throw failure('item ' + i + ' must be a byte string'); });
      const protectedBytes = parts.v[0].v, payload = parts.v[2].v, tag = parts.v[3].v;
      const ph = headerMap(protectedBytes, true, 'protected header'), alg = mapGet(ph, 1n);
      if (!alg || alg.k !== 'int' || alg.v !== 5n) throw failure('alg ' + (alg ? String(alg.v) : '<nil>') + '; only HS256 (alg 5, HMAC 256/256) is supported');
      if (parts.v[1].k !== 'map') throw failure('the unprotected header must be a map');
      check(parts.v[1], 'unprotected header');
      const want = mac0Tag(key, protectedBytes, payload);
      if (tag.length !== want.length || !crypto.timingSafeEqual(tag, want)) throw failure('the MAC does not match');
      if (payload.length === 0) throw failure('payload: not a map');
      const pm = headerMap(payload, false, 'payload');
      const out = new fn.O();
      [['protectedHeaders', ph], ['unprotectedHeaders', parts.v[1]], ['payload', pm]].forEach(function (p) {
        try { out[p[0]] = toJS(p[1]); } catch (e) { throw failure(p[0] + ': ' + e.message); }
      });
      return out;
    },
    generateToken: function (ctx, cwt) {
      const isObj = (v) => v !== null && (typeof v === 'object' || typeof v === 'function');
      if (!isObj(ctx)) throw typeError('generateToken(generatorContext, payload): the generatorContext must be an object');
      if (ctx.coseTag === undefined) {
        if (ctx.payload !== undefined) throw typeError('generateToken(generatorContext, payload): the first argument is a CWTObject, not the context; ' +
          "AWS's examples pass (payload, context), but the documented signature is (generatorContext, payload)");
        throw typeError('generateToken: generatorContext.coseTag is required; only "MAC0" is supported');
      }
      if (ctx.coseTag !== 'MAC0') throw typeError('generateToken: coseTag ' + String(ctx.coseTag) + ' is not supported; only "MAC0" is');
      if (ctx.cwtTag !== undefined && typeof ctx.cwtTag !== 'boolean') throw typeError('generateToken: cwtTag must be a boolean');
      const cwtTag = ctx.cwtTag === true, key = keyOf(ctx, 'generateToken');
      if (!isObj(cwt)) throw typeError('generateToken: the payload must be a CWTObject {protectedHeaders, unprotectedHeaders, payload}');
      const parts = {};
      [['protectedHeaders', 'protected'], ['unprotectedHeaders', 'unprotected'], ['payload', '']].forEach(function (p) {
        const v = cwt[p[0]];
        if (v === undefined) {
          if (p[1] && cwt[p[1]] !== undefined) throw typeError('generateToken: the CWTObject names its headers protectedHeaders and unprotectedHeaders, as validateToken returns them; ' +
            "AWS's example's " + p[1] + ' is not read');
          if (p[0] === 'payload') throw typeError('generateToken: the CWTObject has no payload');
          parts[p[0]] = { k: 'map', v: [] };
          return;
        }
        let x;
        try { x = fromJS(v, 0); } catch (e) { throw typeError('generateToken: ' + p[0] + ': ' + e.message); }
        if (x.k !== 'map') throw typeError('generateToken: ' + p[0] + ' must be an object');
        parts[p[0]] = x;
      });
      const alg = mapGet(parts.protectedHeaders, 1n);
      if (!alg || alg.k !== 'int' || alg.v !== 5n) throw failure('the protected header must hold alg 5 (HS256) under label 1');
      const protectedBytes = cborEncode(parts.protectedHeaders), payload = cborEncode(parts.payload);
      let msg = { k: 'tag', n: 17n, v: { k: 'arr', v: [{ k: 'bytes', v: protectedBytes }, parts.unprotectedHeaders, { k: 'bytes', v: payload }, { k: 'bytes', v: mac0Tag(key, protectedBytes, payload) }] } };
      if (cwtTag) msg = { k: 'tag', n: 61n, v: msg };
      const raw = cborEncode(msg);
      if (raw.length > MAX_TOKEN_BYTES) throw failure('the token would be ' + raw.length + ' bytes; the limit is ' + MAX_TOKEN_BYTES + ' (1024 base64url characters)');
      return raw;
    },
  };
}

const prelude = `
(function () {
  var R = Date, now = 0;
  function D(a, b, c, d, e, f, g) {
    if (!(this instanceof D)) return new R(now).toString();
    switch (arguments.length) {
      case 0: return new R(now);
      case 1: return new R(a);
      default: return new R(a, b, c === undefined ? 1 : c, d || 0, e || 0, f || 0, g || 0);
    }
  }
  D.now = function () { return now; };
  D.UTC = R.UTC;
  D.parse = R.parse;
  D.prototype = R.prototype;
  globalThis.Date = D;
  globalThis.__setNow = function (t) { now = t; };
  ['Map', 'Set', 'WeakMap', 'WeakSet', 'Proxy', 'Reflect', 'eval'].forEach(function (n) { delete globalThis[n]; });
})();
`;

function load(code, runtime, slot) {
  const fn = fns[slot || 0] = { ctx: null, store: null, P: null, E: null, TE: null, O: null, A: null };
  code = code.replace(/^[ \t]*import[ \t]+([A-Za-z_$][\w$]*)[ \t]+from[ \t]*(['"])(crypto|querystring|cloudfront)\2[ \t]*;?/mg,
    function (m, name, q, mod) { return 'var ' + name + ' = __import(\'' + mod + '\');'; });
  const modules = { crypto: crypto, querystring: querystring };
  if (runtime === 'cloudfront-js-2.0') modules.cloudfront = Object.assign(kvsModule(fn), { cwt: cwtModule(fn) });
  const sandbox = {
    console: { log: function () {
      if (arguments.length > 1) throw new TypeError('console.log takes one argument in CloudFront Functions');
      logs.push(String(arguments[0]));
    } },
    require: function (m) { if (!modules[m]) throw new Error("Cannot find module '" + m + "'"); return modules[m]; },
    __import: function (m) { if (!modules[m]) throw new Error("Cannot find module '" + m + "'"); return modules[m]; },
  };
  if (runtime === 'cloudfront-js-2.0') {
    Object.assign(sandbox, { Buffer: Buffer, atob: atob, btoa: btoa, TextEncoder: TextEncoder, TextDecoder: TextDecoder });
  }
  const ctx = fn.ctx = vm.createContext(sandbox, { codeGeneration: { strings: false, wasm: false } });
  fn.P = vm.runInContext('Promise', ctx);
  fn.E = vm.runInContext('Error', ctx);
  fn.TE = vm.runInContext('TypeError', ctx);
  fn.O = vm.runInContext('Object', ctx);
  fn.A = vm.runInContext('Array', ctx);
  vm.runInContext(prelude, ctx);
  if (runtime === 'cloudfront-js-1.0') {
    vm.runInContext('String.bytesFrom = function (s, e) { return __bytesFrom(s, e); };', Object.assign(ctx, {
      __bytesFrom: function (s, e) { return Buffer.from(s, e).toString('latin1'); },
    }));
  }
  vm.runInContext(code + '\n;globalThis.__handler = handler;', ctx, { filename: 'function.js' });
  ctx.__parse = vm.runInContext('(function (t) { return JSON.parse(t); })', ctx);
  ctx.__out = vm.runInContext('(function (r) { if (r === null || typeof r !== "object" || Array.isArray(r)) return null; ' +
    'return JSON.stringify(r.statusCode !== undefined ? { response: r } : { request: r }); })', ctx);
}

// invoke runs the handler; for an async one it returns a promise of the
// output. bench skips the check for a promise that never settles, which
// costs a turn of the event loop.
function invoke(eventText, now, bench, fn) {
  const ctx = (fn || fns[0]).ctx;
  ctx.__setNow(now);
  logs = [];
  const result = ctx.__handler(ctx.__parse(eventText));
  if (result === null || typeof result !== 'object' || typeof result.then !== 'function') return ctx.__out(result);
  if (bench) return result.then(function (v) { return ctx.__out(v); });
  let settled = false, value, failed = false;
  result.then(function (v) { settled = true; value = v; }, function (e) { settled = true; failed = true; value = e; });
  // setImmediate runs once every queued job (promise reaction) has run.
  return new Promise(function (resolve, reject) {
    setImmediate(function () {
      if (!settled) return reject(new Error("the handler's promise never settled"));
      if (failed) return reject(new Error('Uncaught (in promise) ' + String(value)));
      resolve(ctx.__out(value));
    });
  });
}

function setStore(s, fn) {
  (fn || fns[0]).store = s ? { id: s.id || '', data: s.data || {}, created: s.created || 0, updated: s.updated || 0, fail: s.fail || '' } : null;
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
// Lines are handled one at a time, in order, though a run may wait for a
// promise.
let queue = Promise.resolve();
rl.on('line', function (line) {
  queue = queue.then(function () { return handle(line); });
});

async function handle(line) {
  let msg, reply;
  try {
    msg = JSON.parse(line);
    switch (msg.op) {
      case 'load':
        load(msg.code, msg.runtime, msg.slot);
        reply = { ok: true };
        break;
      case 'run': {
        setStore(msg.kvs);
        let output = null, error = '';
        try {
          output = await invoke(JSON.stringify(msg.event), msg.now);
        } catch (e) {
          error = String(e && e.stack || e);
        }
        reply = { output: output, logs: logs, error: error };
        break;
      }
      case 'bench': {
        setStore(msg.kvs);
        const text = JSON.stringify(msg.event);
        // A sync handler is timed without an await per call, as before
        // async handlers were run.
        // (The first invocation is awaited, so that a rejection fails the
        // op rather than node.)
        const probe = invoke(text, msg.now, true), async = typeof probe !== 'string';
        if (async) await probe;
        for (let i = 0; i < Math.max(100, msg.n / 10); i++) async ? await invoke(text, msg.now, true) : invoke(text, msg.now, true);
        const t0 = process.hrtime.bigint();
        if (async) {
          for (let i = 0; i < msg.n; i++) await invoke(text, msg.now, true);
        } else {
          for (let i = 0; i < msg.n; i++) invoke(text, msg.now, true);
        }
        reply = { ns_per_op: Number(process.hrtime.bigint() - t0) / msg.n };
        break;
      }
      case 'pair': {
        // Both functions alternately, which one first alternating too,
        // each invocation timed on its own and an async one awaited: the
        // machine's drift falls on both alike, as in the goja benchmark.
        const text = JSON.stringify(msg.event), kvs = msg.kvs || [];
        const async = [];
        for (const i of [0, 1]) {
          setStore(kvs[i], fns[i]);
          const probe = invoke(text, msg.now, true, fns[i]);
          if ((async[i] = typeof probe !== 'string')) await probe;
        }
        const spent = [0n, 0n];
        const one = async function (i) {
          const t0 = process.hrtime.bigint();
          if (async[i]) await invoke(text, msg.now, true, fns[i]); else invoke(text, msg.now, true, fns[i]);
          spent[i] += process.hrtime.bigint() - t0;
        };
        for (let i = 0; i < Math.max(100, msg.n / 10); i++) { await one(0); await one(1); }
        spent[0] = spent[1] = 0n;
        for (let i = 0; i < msg.n; i++) {
          const first = i & 1;
          await one(first);
          await one(1 - first);
        }
        reply = { ns_per_op: [Number(spent[0]) / msg.n, Number(spent[1]) / msg.n] };
        break;
      }
      default:
        reply = { fatal: 'unknown op ' + msg.op };
    }
  } catch (e) {
    reply = { fatal: String(e && e.stack || e) };
  }
  process.stdout.write(JSON.stringify(reply) + '\n');
}
