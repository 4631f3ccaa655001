// A minimal AWS Lambda Runtime API client for Node.js: it runs a handler
// module (argv[2]) under aws-lambda-rie, so that the original issuer of the
// blog post can be started the same way as ours for the cold-start
// benchmark. KMS_ENDPOINT points the aws-sdk (v2) singleton at the
// emulated KMS before the handler module loads it.
'use strict';
const http = require('http');
const path = require('path');
const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');

function call(method, p, body) {
  return new Promise(function (resolve, reject) {
    const req = http.request({ host: host, port: port, path: '/2018-06-01/runtime' + p, method: method,
      headers: body ? { 'content-type': 'application/json' } : {} }, function (res) {
      let data = '';
      res.on('data', function (c) { data += c; });
      res.on('end', function () { resolve({ headers: res.headers, body: data }); });
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

(async function () {
  let handler;
  try {
    if (process.env.KMS_ENDPOINT) require('aws-sdk').config.update({ endpoint: process.env.KMS_ENDPOINT });
    handler = require(path.resolve(process.argv[2])).handler;
  } catch (e) {
    await call('POST', '/init/error', JSON.stringify({ errorMessage: String(e), errorType: 'InitError' }));
    process.exit(1);
  }
  for (;;) {
    const next = await call('GET', '/invocation/next');
    const id = next.headers['lambda-runtime-aws-request-id'];
    try {
      const out = await handler(JSON.parse(next.body));
      await call('POST', '/invocation/' + id + '/response', JSON.stringify(out));
    } catch (e) {
      await call('POST', '/invocation/' + id + '/error', JSON.stringify({ errorMessage: String(e && e.message || e), errorType: 'Error' }));
    }
  }
})();
