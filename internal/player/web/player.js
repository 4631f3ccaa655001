// The browser test's player (internal/player): each case is a <video>
// that hls.js plays from one URL, with the stream key in a header
// (xhrSetup) or in the URL's path prefix. The Go test calls play() and
// reads cases[id] back; nothing here knows the expected outcome.
'use strict';

var cases = {};

// redact hides stream keys (ss1.… tokens) in what the page shows: the
// screenshot is kept as a test artefact.
function redact(s) {
  return String(s).replace(/ss1\.[\w.-]+/g, 'ss1.…');
}

// play starts case id: label is its title, src the master playlist's URL,
// header, if given, {name, value}: a request header hls.js sends with
// every playlist and segment request. It returns at once; cases[id] says
// how the case goes: time (the video's currentTime), fatal (hls.js's
// fatal ERROR event: type, details, code, url) and errors (every ERROR
// event, fatal or not).
function play(id, label, src, header) {
  var box = document.createElement('div'), video = document.createElement('video'),
    status = document.createElement('div'), state = {time: 0, fatal: null, errors: [], levels: 0};
  cases[id] = state;
  box.className = 'case';
  box.innerHTML = '<h2></h2><div class="src"></div>';
  box.querySelector('h2').textContent = label;
  box.querySelector('.src').textContent = redact(src) + (header ? '  [' + header.name + ': ss1.…]' : '');
  status.className = 'status';
  status.textContent = 'loading';
  video.muted = true; // so that autoplay needs no user gesture
  video.playsInline = true;
  box.appendChild(video);
  box.appendChild(status);
  document.getElementById('cases').appendChild(box);

  if (!Hls.isSupported()) {
    state.fatal = {type: 'unsupported', details: 'hls.js: no MediaSource with H.264/AAC in this browser', code: 0, url: ''};
    box.className = 'case failed';
    status.textContent = state.fatal.details;
    return;
  }
  var hls = new Hls({
    // No retries: a refused request is the answer, and the test is bounded.
    manifestLoadPolicy: {default: {maxTimeToFirstByteMs: 10000, maxLoadTimeMs: 20000, timeoutRetry: null, errorRetry: null}},
    playlistLoadPolicy: {default: {maxTimeToFirstByteMs: 10000, maxLoadTimeMs: 20000, timeoutRetry: null, errorRetry: null}},
    xhrSetup: header ? function (xhr) { xhr.setRequestHeader(header.name, header.value); } : undefined
  });
  hls.on(Hls.Events.MANIFEST_PARSED, function (ev, data) {
    state.levels = data.levels.length;
    video.play().catch(function (e) { state.errors.push({type: 'play', details: String(e), fatal: false}); });
  });
  hls.on(Hls.Events.ERROR, function (ev, data) {
    var e = {type: data.type, details: data.details, fatal: !!data.fatal,
      code: data.response ? data.response.code : 0, url: redact(data.url || (data.context && data.context.url) || '')};
    state.errors.push(e);
    if (data.fatal && !state.fatal) {
      state.fatal = e;
      box.className = 'case failed';
      status.textContent = 'fatal ' + e.type + ': ' + e.details + (e.code ? ' (HTTP ' + e.code + ')' : ' (no HTTP status: CORS or network)');
      hls.destroy();
    }
  });
  video.addEventListener('timeupdate', function () {
    state.time = video.currentTime;
    if (!state.fatal) {
      box.className = 'case playing';
      status.textContent = 'playing ' + video.currentTime.toFixed(2) + ' s, ' + state.levels + ' renditions, ' +
        video.videoWidth + 'x' + video.videoHeight;
    }
  });
  hls.loadSource(src);
  hls.attachMedia(video);
}

// state returns case id as the test reads it.
function state(id) {
  return cases[id] || null;
}

// issue asks the issuer for a key to play playbackURL, as a player page
// does: a POST from this page's origin (CORS) with the viewer's JWT. It
// resolves to {status, body} or {status: 0, error}, and shows the answer
// (not the key) on the page.
function issue(issuer, jwt, playbackURL) {
  var line = document.getElementById('issuer');
  line.textContent = 'asking the issuer ' + issuer + ' for a key to ' + playbackURL;
  return fetch(issuer, {
    method: 'POST', cache: 'no-store',
    headers: {'Content-Type': 'application/json', 'Authorization': 'Bearer ' + jwt},
    body: JSON.stringify({playback_url: playbackURL})
  }).then(function (r) {
    return r.text().then(function (body) {
      var k = {};
      try { k = JSON.parse(body); } catch (e) { /* shown as is below */ }
      line.textContent = 'issuer ' + issuer + ': HTTP ' + r.status + (k.key_id ?
        ', key ' + k.key_id + ' for ' + playbackURL + ', expires ' + k.expires_at : ', ' + redact(body));
      return {status: r.status, body: body};
    });
  }).catch(function (e) {
    line.textContent = 'issuer ' + issuer + ': ' + e;
    return {status: 0, error: String(e)};
  });
}

document.addEventListener('DOMContentLoaded', function () {
  document.getElementById('version').textContent = typeof Hls == 'undefined' ? '(not loaded)' : Hls.version;
});
