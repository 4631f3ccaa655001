// Runs a CloudFront Function in node with the runtime's surface (crypto,
// querystring, Buffer, atob/btoa, TextEncoder/TextDecoder, a frozen Date,
// single-argument console.log), for cfruntime's differential tests and
// benchmarks. It speaks JSON lines on stdin/stdout:
//   {"op":"load","code":"...","runtime":"cloudfront-js-2.0"} -> {"ok":true}
//   {"op":"run","event":{...},"now":<ms>}                     -> {"output":"...","logs":[...],"error":"..."}
//   {"op":"bench","event":{...},"now":<ms>,"n":<count>}        -> {"ns_per_op":<float>}
'use strict';
const vm = require('vm');
const crypto = require('crypto');
const querystring = require('querystring');
const readline = require('readline');

let ctx = null;
let logs = [];

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

function load(code, runtime) {
  code = code.replace(/^[ \t]*import[ \t]+([A-Za-z_$][\w$]*)[ \t]+from[ \t]*(['"])(crypto|querystring|cloudfront)\2[ \t]*;?/mg,
    function (m, name, q, mod) { return 'var ' + name + ' = __import(\'' + mod + '\');'; });
  const modules = { crypto: crypto, querystring: querystring };
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
  ctx = vm.createContext(sandbox, { codeGeneration: { strings: false, wasm: false } });
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

function invoke(eventText, now) {
  ctx.__setNow(now);
  logs = [];
  const result = ctx.__handler(ctx.__parse(eventText));
  return ctx.__out(result);
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', function (line) {
  let msg, reply;
  try {
    msg = JSON.parse(line);
    switch (msg.op) {
      case 'load':
        load(msg.code, msg.runtime);
        reply = { ok: true };
        break;
      case 'run': {
        let output = null, error = '';
        try {
          output = invoke(JSON.stringify(msg.event), msg.now);
        } catch (e) {
          error = String(e && e.stack || e);
        }
        reply = { output: output, logs: logs, error: error };
        break;
      }
      case 'bench': {
        const text = JSON.stringify(msg.event);
        for (let i = 0; i < Math.max(100, msg.n / 10); i++) invoke(text, msg.now);
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < msg.n; i++) invoke(text, msg.now);
        reply = { ns_per_op: Number(process.hrtime.bigint() - t0) / msg.n };
        break;
      }
      default:
        reply = { fatal: 'unknown op ' + msg.op };
    }
  } catch (e) {
    reply = { fatal: String(e && e.stack || e) };
  }
  process.stdout.write(JSON.stringify(reply) + '\n');
});
