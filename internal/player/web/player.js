// The browser tests' players (internal/player): each case is a <video>
// that one player (hls.js, dash.js or Shaka Player) plays from one URL,
// with the stream key (ss1, or a Common Access Token) in a header (the
// player's request hook), in the URL's path prefix or in its query. A case may refresh its key: it asks
// the issuer again before the key expires, and the request hook sends the
// new key from then on. The Go test calls play() and reads cases[id]
// back; nothing here knows the expected outcome.
'use strict';

var cases = {};

// redact hides stream keys in what the page shows (the screenshot is kept
// as a test artefact): ss1 keys (ss1.…) anywhere, and Common Access Tokens,
// which have no mark of their own, after their query parameter (CAT=).
function redact(s) {
  return String(s).replace(/ss1\.[\w.-]+/g, 'ss1.…').replace(/\b(CAT=)[\w-]+/gi, '$1…');
}

// versions are the players' own version strings, as they report them.
function versions() {
  return {
    'hls.js': typeof Hls == 'undefined' ? '' : Hls.version,
    'dash.js': typeof dashjs == 'undefined' ? '' : dashjs.Version,
    'Shaka Player': typeof shaka == 'undefined' ? '' : shaka.Player.version
  };
}

// section returns the box of player's cases: one section a player, so
// that each has its own screenshot.
function section(player) {
  var id = 'player-' + player.replace(/[^a-z]/gi, '');
  var s = document.getElementById(id);
  if (!s) {
    s = document.createElement('section');
    s.id = id;
    s.innerHTML = '<h2></h2><div class="cases"></div>';
    s.querySelector('h2').textContent = player + ' ' + versions()[player];
    document.getElementById('players').appendChild(s);
  }
  return s.querySelector('.cases');
}

// play starts case id. o says what to play and how:
//   player: 'hls.js', 'dash.js' or 'Shaka Player'; label: its title;
//   src: the manifest's URL (with the key in its path prefix or query, if
//   that is the channel);
//   key: {token, expires (Unix seconds)}, for the hook, if any;
//   header: the header the hook sends the key in ('' for none);
//   prefix: whether the hook puts the current key in the URL's path
//   prefix (/t/<key>/), for a refreshed key on the path-prefix channel;
//   refresh: {issuer, jwt, playback, ttl, before}: ask the issuer for a
//   new key (ttl seconds) when the current one expires within before
//   seconds;
//   buffer: how many seconds ahead the player may fetch (0: its default).
// It returns at once; cases[id] says how the case goes: time (the video's
// currentTime), renditions, fatal (the player's fatal error: type,
// details, code (the HTTP status in the player's error object), url),
// errors (every error), keys (each key's generation and expiry) and
// requests (each request the hook saw: when, with which key).
function play(id, o) {
  var box = document.createElement('div'), video = document.createElement('video'),
    status = document.createElement('div'),
    state = {time: 0, ended: false, renditions: 0, fatal: null, errors: [], keys: [], requests: []};
  cases[id] = state;
  box.className = 'case';
  box.innerHTML = '<h2></h2><div class="src"></div>';
  box.querySelector('h2').textContent = o.label;
  box.querySelector('.src').textContent = redact(o.src) + (o.header ? '  [' + o.header + ': …]' : '') +
    (o.refresh ? '  (key refreshed ' + o.refresh.before + ' s before expiry)' : '');
  status.className = 'status';
  status.textContent = 'loading';
  video.muted = true; // so that autoplay needs no user gesture
  video.playsInline = true;
  box.appendChild(video);
  box.appendChild(status);
  section(o.player).appendChild(box);

  var key = null, stop = function () {};
  if (o.key) {
    key = {token: o.key.token, expires: o.key.expires, gen: 1};
    state.keys.push({gen: 1, expires: key.expires});
  }
  // hooked is what the request hook does to a request of url: the URL to
  // fetch (the current key in its path prefix) and the headers to add.
  var hooked = function (url) {
    state.requests.push({at: Date.now(), gen: key.gen, url: redact(url)});
    if (o.prefix) {
      url = url.replace(/\/t\/ss1\.[^\/]+\//, '/t/' + key.token + '/');
    }
    var h = {};
    if (o.header) {
      h[o.header] = key.token;
    }
    return {url: url, headers: h};
  };
  var hook = o.key && (o.header || o.prefix) ? hooked : null;
  if (o.refresh) {
    var asking = false, timer = setInterval(function () {
      if (asking || Date.now() / 1000 < key.expires - o.refresh.before) {
        return;
      }
      asking = true;
      issue(o.refresh.issuer, o.refresh.jwt, o.refresh.playback, o.refresh.ttl).then(function (r) {
        asking = false;
        var k = r.status == 200 ? JSON.parse(r.body) : null;
        if (!k || !k.token) {
          state.errors.push({type: 'issuer', details: 'HTTP ' + r.status + ' ' + redact(r.body || r.error), fatal: false});
          return;
        }
        key = {token: k.token, expires: k.expires, gen: key.gen + 1};
        state.keys.push({gen: key.gen, expires: key.expires});
      });
    }, 100);
    stop = function () { clearInterval(timer); };
  }

  var failed = function (e, destroy) {
    state.errors.push(e);
    if (!e.fatal || state.fatal) {
      return;
    }
    state.fatal = e;
    box.className = 'case failed';
    status.textContent = 'fatal ' + e.type + ': ' + e.details +
      (e.code ? ' (HTTP ' + e.code + ')' : ' (no HTTP status: CORS or network)');
    stop();
    destroy();
  };
  var started = function (renditions) {
    state.renditions = renditions;
    video.play().catch(function (e) { state.errors.push({type: 'play', details: String(e), fatal: false}); });
  };
  video.addEventListener('timeupdate', function () {
    // After a fatal error the player resets the video to 0: keep how far
    // it got.
    if (!state.fatal) {
      state.time = video.currentTime;
      box.className = 'case playing';
      status.textContent = 'playing ' + video.currentTime.toFixed(2) + ' s, ' + state.renditions + ' renditions, ' +
        video.videoWidth + 'x' + video.videoHeight + (state.keys.length > 1 ? ', key ' + state.keys.length : '');
    }
  });
  video.addEventListener('ended', function () { state.ended = true; stop(); });

  try {
    players[o.player](o, video, hook, failed, started);
  } catch (e) {
    failed({type: 'exception', details: String(e), fatal: true, code: 0, url: ''}, function () {});
  }
}

// players start a case with each player: the player's own request hook
// calls hook (if any), and its errors go to failed with the HTTP status
// the player's error object carries.
var players = {
  'hls.js': function (o, video, hook, failed, started) {
    if (!Hls.isSupported()) {
      throw new Error('hls.js: no MediaSource with H.264/AAC in this browser');
    }
    // No retries: a refused request is the answer, and the test is bounded.
    var once = {default: {maxTimeToFirstByteMs: 10000, maxLoadTimeMs: 20000, timeoutRetry: null, errorRetry: null}};
    var cfg = {manifestLoadPolicy: once, playlistLoadPolicy: once, fragLoadPolicy: once};
    if (o.buffer) {
      cfg.maxBufferLength = cfg.maxMaxBufferLength = o.buffer;
    }
    if (hook) {
      cfg.xhrSetup = function (xhr, url) {
        var r = hook(url);
        xhr.open('GET', r.url, true);
        for (var name in r.headers) {
          xhr.setRequestHeader(name, r.headers[name]);
        }
      };
    }
    var hls = new Hls(cfg);
    hls.on(Hls.Events.MANIFEST_PARSED, function (ev, data) { started(data.levels.length); });
    hls.on(Hls.Events.ERROR, function (ev, data) {
      failed({type: data.type, details: data.details, fatal: !!data.fatal,
        code: data.response ? data.response.code : 0, url: redact(data.url || (data.context && data.context.url) || '')},
      function () { hls.destroy(); });
    });
    hls.loadSource(o.src);
    hls.attachMedia(video);
  },

  'dash.js': function (o, video, hook, failed, started) {
    var p = dashjs.MediaPlayer().create();
    var once = {MPD: 0, MediaSegment: 0, InitializationSegment: 0, IndexSegment: 0, BitstreamSwitchingSegment: 0, other: 0};
    var streaming = {retryAttempts: once};
    if (o.buffer) {
      streaming.buffer = {bufferTimeDefault: o.buffer, bufferTimeAtTopQuality: o.buffer, bufferTimeAtTopQualityLongForm: o.buffer};
    }
    p.updateSettings({debug: {logLevel: dashjs.Debug.LOG_LEVEL_WARNING}, streaming: streaming});
    if (hook) {
      p.addRequestInterceptor(function (req) {
        var r = hook(req.url);
        req.url = r.url;
        for (var name in r.headers) {
          req.headers[name] = r.headers[name];
        }
        return Promise.resolve(req);
      });
    }
    p.on(dashjs.MediaPlayer.events.STREAM_INITIALIZED, function () {
      started(p.getRepresentationsByType('video').length);
    });
    // dash.js's ERROR event is its fatal error; the HTTP status is in the
    // response the error's data carries.
    p.on(dashjs.MediaPlayer.events.ERROR, function (ev) {
      var e = ev.error || {}, d = e.data || {}, r = d.response || {}, q = d.request || {};
      failed({type: 'error ' + e.code, details: redact(e.message || ''), fatal: true,
        code: r.status || 0, url: redact(q.url || r.url || '')}, function () { p.reset(); });
    });
    p.initialize(video, o.src, true);
  },

  'Shaka Player': function (o, video, hook, failed, started) {
    shaka.polyfill.installAll();
    if (!shaka.Player.isBrowserSupported()) {
      throw new Error('Shaka Player: this browser is not supported');
    }
    var p = new shaka.Player();
    var once = {maxAttempts: 1, timeout: 20000};
    var streaming = {retryParameters: once};
    if (o.buffer) {
      streaming.bufferingGoal = o.buffer;
      streaming.rebufferingGoal = Math.min(o.buffer, 1);
    }
    p.configure({manifest: {retryParameters: once}, streaming: streaming});
    if (hook) {
      p.getNetworkingEngine().registerRequestFilter(function (type, req) {
        var h;
        req.uris = req.uris.map(function (u) { var r = hook(u); h = r.headers; return r.url; });
        for (var name in h) {
          req.headers[name] = h[name];
        }
      });
    }
    // Shaka's error: a shaka.util.Error; BAD_HTTP_STATUS (1001) carries
    // the URI and the HTTP status as its first two data.
    var shakaErr = function (e) {
      var http = e && e.code == shaka.util.Error.Code.BAD_HTTP_STATUS;
      failed({type: 'error ' + (e && e.code), details: 'category ' + (e && e.category) + ', severity ' + (e && e.severity),
        fatal: true, code: http ? e.data[1] : 0, url: http ? redact(e.data[0]) : ''}, function () { p.destroy(); });
    };
    p.addEventListener('error', function (ev) { shakaErr(ev.detail); });
    p.attach(video).then(function () {
      return p.load(o.src);
    }).then(function () {
      started(p.getVariantTracks().length);
    }).catch(shakaErr);
  }
};

// state returns case id as the test reads it.
function state(id) {
  return cases[id] || null;
}

// issue asks the issuer for a key to play playbackURL, as a player page
// does: a POST from this page's origin (CORS) with the viewer's JWT, and
// a lifetime in seconds (ttl, if not 0). It resolves to {status, body} or
// {status: 0, error}, and shows the answer (not the key) on the page.
function issue(issuer, jwt, playbackURL, ttl) {
  var line = document.getElementById('issuer');
  line.textContent = 'asking the issuer ' + issuer + ' for a key to ' + playbackURL;
  return fetch(issuer, {
    method: 'POST', cache: 'no-store',
    headers: {'Content-Type': 'application/json', 'Authorization': 'Bearer ' + jwt},
    body: JSON.stringify(ttl ? {playback_url: playbackURL, ttl_seconds: ttl} : {playback_url: playbackURL})
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
  var v = versions(), shown = [];
  for (var p in v) {
    shown.push(p + ' ' + (v[p] || '(not loaded)'));
  }
  document.getElementById('versions').textContent = shown.join(', ');
});
