// Runs a CloudFront Function in node with the runtime's surface (crypto,
// querystring, Buffer, atob/btoa, TextEncoder/TextDecoder, a frozen Date,
// single-argument console.log), for cfruntime's differential tests and
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
  const fn = fns[slot || 0] = { ctx: null, store: null, P: null, E: null };
  code = code.replace(/^[ \t]*import[ \t]+([A-Za-z_$][\w$]*)[ \t]+from[ \t]*(['"])(crypto|querystring|cloudfront)\2[ \t]*;?/mg,
    function (m, name, q, mod) { return 'var ' + name + ' = __import(\'' + mod + '\');'; });
  const modules = { crypto: crypto, querystring: querystring };
  if (runtime === 'cloudfront-js-2.0') modules.cloudfront = kvsModule(fn);
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
