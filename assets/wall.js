/* Wall screens that run for days without a human (layouts/home.py, layouts/wall.py).

   - Connection: every Dash request is watched; when the server cannot be reached the page's
     ".ioc-connection" badge shows ("mất kết nối") and goes away by itself at the first answer.
     Never a reload for that, never an error page. A wall refresh is given up after 30 s.
   - No overlapping refreshes: dash_clientside.ioc_wall.gate passes a tick on only when the
     previous wall refresh has finished (answered, failed or timed out).
   - Fit: the wall's font shrinks a little if anything would not fit the screen: no scrollbars,
     nothing clipped. A browser window too small to stay readable scrolls instead.
   - Burn-in: on wall and kiosk pages everything drifts a few pixels over minutes.
   - Playlists (/wall): slides rotate in two iframes; the next one loads hidden and is shown only
     once it has rendered, so a slow or unreachable server never blanks the screen.
   - Recovery: a wall page that could not render (server down while it loaded) or that keeps
     getting errors from a server that is up again reloads itself, at most once every 5 minutes.
   - Enrolled screens (dashboard/auth.py, dashboard/screens.py): every Dash request carries the
     heartbeat — X-IOC-Slide (the slide on screen), X-IOC-Version (the version this page was
     loaded with) and X-IOC-Client-Error (the last script error, percent-encoded). An answer with
     X-IOC-Reload: 1 reloads the whole screen; a 401/403 with X-IOC-Redirect sends the top window
     there (a revoked screen to "/screen/revoked", a person whose session ended to sign-in).
     Nothing polls for this: it rides on the requests the page makes anyway.

   Everything is local: no CDN, nothing from the internet. */
(function () {
  "use strict";
  if (window.iocWall) return;

  var REQUEST_TIMEOUT_MS = 30000;
  var SHIFT_STEP_MS = 60000;       // one step of the drift per minute…
  var SHIFT_RADIUS_PX = 3;         // …around a 3 px circle: a full turn takes 16 minutes
  var SHIFT_STEPS = 16;
  var RELOAD_MIN_GAP_MS = 5 * 60000;
  var BLANK_PAGE_GRACE_MS = 30000;
  var SETTLE_MS = 1000;
  var REFIT_MS = 60000;
  var HTTP_ERRORS_BEFORE_RELOAD = 6;

  var state = {
    offline: false,
    offlineSince: null,
    pending: 0,            // Dash requests in flight
    refreshPending: 0,     // wall refreshes in flight
    refreshStartedAt: 0,
    polls: 0,
    skipped: 0,
    failures: 0,
    httpErrors: 0,         // consecutive HTTP errors from a reachable server
    loadedAt: Date.now(),
    unloading: false,
    firstRenderMs: null,
    scale: 1,
    fittedAt: 0,           // when the wall was last fitted (ms since epoch)
    changedAt: 0           // when the page last changed (ms since epoch)
  };
  window.iocWall = state;

  var root = document.documentElement;

  function isWallUrl() {
    var path = location.pathname.replace(/\/+$/, "") || "/";
    return path === "/" || path === "/wall" || /(^|[?&])kiosk=(1|true|yes)(&|$)/i.test(location.search);
  }

  // --- connection ------------------------------------------------------------------------------
  function setOffline(offline) {
    if (offline === state.offline) return;
    state.offline = offline;
    state.offlineSince = offline ? Date.now() : null;
    root.classList.toggle("ioc-offline", offline);
    root.setAttribute("data-connection", offline ? "lost" : "ok");
    // The "connection lost" line takes room while shown: fit again when it comes and goes (a
    // class change is not a DOM mutation the observer sees).
    onMutation();
  }
  root.setAttribute("data-connection", "ok");

  function isDashRequest(url) {
    return typeof url === "string" && /\/_dash-(update-component|layout|dependencies)/.test(url);
  }

  // --- heartbeat and remote control of enrolled screens --------------------------------------------
  var CLIENT_ERROR_MAX = 300;

  // The playlist shell's state when this page is one of its slides (same origin), else null.
  function shell() {
    try {
      if (window.top !== window && window.top.iocWall && window.top.iocWall.playlist) return window.top.iocWall;
    } catch (e) { /* another origin framing us: no shell */ }
    return null;
  }

  function here() {
    return location.pathname + location.search;
  }

  // What is on screen: inside a playlist the slide the shell shows (a slide preloading in the
  // hidden frame is not on screen yet), else this page.
  function currentSlide() {
    var top = shell();
    if (top && top.playlist.current >= 0) return top.playlist.slides[top.playlist.current].url;
    return here();
  }

  function noteClientError(message) {
    var text = String(message || "").slice(0, CLIENT_ERROR_MAX);
    if (!text) return;
    state.lastError = text;
    var top = shell();
    if (top) top.lastError = text;  // the shell reports it too, whichever frame asks next
  }
  window.addEventListener("error", function (event) {
    noteClientError(event && (event.message || (event.error && event.error.message)));
  });
  window.addEventListener("unhandledrejection", function (event) {
    var reason = event && event.reason;
    noteClientError(reason && reason.message ? reason.message : reason);
  });

  function heartbeatHeaders() {
    var top = shell();
    var headers = { "X-IOC-Slide": currentSlide() };
    var version = (top && top.version) || state.version;
    if (version) headers["X-IOC-Version"] = version;
    var error = (top && top.lastError) || state.lastError;
    if (error) headers["X-IOC-Client-Error"] = encodeURIComponent(error);
    return headers;
  }

  function withHeaders(input, init, extra) {
    var headers = new Headers((init && init.headers) || (input && typeof input !== "string" && input.headers) || {});
    Object.keys(extra).forEach(function (name) { headers.set(name, extra[name]); });
    return Object.assign({}, init, { headers: headers });
  }

  function sameOriginPath(target) {
    try {
      var url = new URL(target, location.href);
      if (url.origin !== location.origin || !/^\/(?![\/\\])/.test(target)) return null;
      return url.pathname + url.search + url.hash;
    } catch (e) {
      return null;
    }
  }

  var leaving = false;
  function topWindow() {
    try { return window.top.location ? window.top : window; } catch (e) { return window; }
  }

  // The server's word on an answer: reload the screen, or leave for another page.
  function obeyServer(response, sentSlide) {
    var version = response.headers.get("X-IOC-Version");
    if (version && !state.version) state.version = version;
    var top = shell();
    if (version && top && !top.version) top.version = version;
    if (leaving) return;
    if (response.headers.get("X-IOC-Reload") === "1") {
      leaving = true;
      topWindow().location.reload();
      return;
    }
    var target = response.headers.get("X-IOC-Redirect");
    if (target && (response.status === 401 || response.status === 403)) {
      var path = sameOriginPath(target);
      if (!path) return;
      leaving = true;
      // "Come back where you are" (a lost CSRF token): inside a playlist that means the playlist.
      if (path === sentSlide) topWindow().location.reload();
      else topWindow().location.assign(path);
    }
  }

  var nativeFetch = window.fetch.bind(window);
  window.fetch = function (input, init) {
    var url = typeof input === "string" ? input : (input && input.url) || "";
    if (!isDashRequest(url)) return nativeFetch(input, init);
    var beat = heartbeatHeaders();
    init = withHeaders(input, init, beat);
    var isRefresh = typeof init.body === "string" && init.body.indexOf('"wall-poll"') >= 0;
    var controller = null;
    var timer = null;
    // Only the wall's own refresh is given up after a while (a hung server must not block the
    // next one); other callbacks — an export, say — may legitimately take long.
    if (isRefresh && !init.signal && typeof AbortController !== "undefined") {
      controller = new AbortController();
      init = Object.assign({}, init, { signal: controller.signal });
      timer = setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS);
    }
    state.pending += 1;
    if (isRefresh) { state.refreshPending += 1; state.refreshStartedAt = Date.now(); }
    function done() {
      state.pending -= 1;
      if (isRefresh) state.refreshPending -= 1;
      if (timer) clearTimeout(timer);
    }
    return nativeFetch(input, init).then(function (response) {
      done();
      obeyServer(response, beat["X-IOC-Slide"]);
      if (response.status >= 500) {
        // The server (or the proxy in front of it) cannot answer: data cannot be refreshed.
        state.failures += 1;
        setOffline(true);
        if (response.status < 502 || response.status > 504) noteHttpError();
      } else if (response.status >= 400) {
        noteHttpError();
      } else {
        state.httpErrors = 0;
        setOffline(false);
      }
      return response;
    }, function (error) {
      done();
      // Leaving the page cancels what is in flight: not a lost connection, nothing to report.
      if (state.unloading) return new Promise(function () {});
      state.failures += 1;
      setOffline(true);
      throw error;
    });
  };

  window.addEventListener("beforeunload", function () { state.unloading = true; });
  window.addEventListener("pagehide", function () { state.unloading = true; });
  window.addEventListener("pageshow", function () { state.unloading = false; });

  function noteHttpError() {
    state.httpErrors += 1;
    if (state.httpErrors >= HTTP_ERRORS_BEFORE_RELOAD && isWallUrl()) reloadIfServerUp();
  }

  function reloadIfServerUp() {
    var last = Number(sessionStorage.getItem("iocWallReloadAt") || 0);
    if (Date.now() - last < RELOAD_MIN_GAP_MS) return;
    nativeFetch(location.href, { method: "HEAD", cache: "no-store" }).then(function (response) {
      if (response.ok) {
        sessionStorage.setItem("iocWallReloadAt", String(Date.now()));
        location.reload();
      }
    }, function () { /* still away: the badge is showing, try again later */ });
  }

  // --- the refresh gate (a clientside callback) ----------------------------------------------------
  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    ioc_wall: {
      gate: function (n) {
        var inFlight = state.refreshPending > 0 && Date.now() - state.refreshStartedAt < REQUEST_TIMEOUT_MS + 5000;
        if (inFlight) {
          state.skipped += 1;
          return window.dash_clientside.no_update;
        }
        state.polls += 1;
        return { n: n, at: Date.now() };
      }
    }
  });

  // --- fit the wall to the screen --------------------------------------------------------------------
  function overflows(el) {
    return el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1;
  }

  function wallOverflows(wall) {
    if (overflows(wall)) return true;
    var boxes = wall.querySelectorAll(".ioc-tile, .ioc-wall__panel, .ioc-wall__domain, .ioc-wall__rail");
    for (var i = 0; i < boxes.length; i += 1) {
      if (boxes[i].matches(":hover, :focus-within")) continue;  // an open tooltip is not an overflow
      if (overflows(boxes[i])) return true;
    }
    var page = document.querySelector(".ioc-wall-page");
    return page ? overflows(page) : false;
  }

  var fitQueued = false;
  function fit() {
    fitQueued = false;
    var wall = document.querySelector(".ioc-wall");
    if (!wall) return;
    var kiosk = !!document.querySelector(".ioc-kiosk");
    // Nobody scrolls a wall screen: kiosk pages shrink as far as needed; a browser window stops
    // at a readable size and scrolls (phones, small laptop windows).
    var floor = kiosk ? 0.6 : 0.8;
    var scale = 1;
    root.classList.remove("ioc-wall-flow");
    root.style.setProperty("--wall-scale", "1");
    if (!kiosk && window.matchMedia("(max-width: 900px)").matches) {
      root.classList.add("ioc-wall-flow");
    } else {
      while (scale > floor && wallOverflows(wall)) {
        scale = Math.round((scale - 0.02) * 100) / 100;
        root.style.setProperty("--wall-scale", String(scale));
      }
      if (!kiosk && wallOverflows(wall)) root.classList.add("ioc-wall-flow");
    }
    state.scale = scale;
    state.fittedAt = Date.now();
    root.setAttribute("data-wall-scale", String(scale));
  }
  function queueFit() {
    if (fitQueued) return;
    fitQueued = true;
    requestAnimationFrame(fit);
  }
  window.addEventListener("resize", queueFit);

  // A wall left alone for days re-checks its fit now and then (a late font, a resized window manager).
  setInterval(function () { if (document.querySelector(".ioc-wall")) queueFit(); }, REFIT_MS);

  // --- watch the page: first render, fit after each redraw, shift on wall pages ------------------------
  var settleTimer = null;
  function onMutation() {
    if (state.firstRenderMs === null && document.querySelector(".ioc-wall [data-kpi]")) {
      state.firstRenderMs = Math.round(performance.now());
      root.setAttribute("data-wall-first-render-ms", String(state.firstRenderMs));
    }
    if (document.querySelector(".ioc-wall")) {
      state.changedAt = Date.now();
      queueFit();
      // Charts and fonts may settle after the last DOM change (a loaded machine paints late): fit
      // once more when the page has been quiet for a second, so a transient size never sticks.
      clearTimeout(settleTimer);
      settleTimer = setTimeout(queueFit, SETTLE_MS);
    }
    var shifting = !!document.querySelector(".ioc-wall-page, .ioc-kiosk");
    root.classList.toggle("ioc-shift", shifting);
    if (document.getElementById("wall-playlist")) startPlaylist();
    scheduleRetry();
  }

  // A page that says what is wrong with the configuration tries again by itself (it may be fixed).
  var retryTimer = null;
  function scheduleRetry() {
    var el = document.querySelector("[data-reload-after]");
    if (!el || retryTimer) return;
    var seconds = Number(el.getAttribute("data-reload-after")) || 60;
    retryTimer = setTimeout(function () {
      nativeFetch(location.href, { method: "HEAD", cache: "no-store" }).then(function (response) {
        if (response.ok) location.reload();
        else retryTimer = null;
      }, function () { retryTimer = null; setOffline(true); });
    }, seconds * 1000);
  }

  function observe() {
    new MutationObserver(onMutation).observe(document.body, { childList: true, subtree: true });
    onMutation();
    if (document.fonts && document.fonts.ready) document.fonts.ready.then(queueFit);
  }
  if (document.body) observe(); else document.addEventListener("DOMContentLoaded", observe);

  // --- burn-in protection: a slow drift of a few pixels ------------------------------------------------
  // Only pages with .ioc-shift on <html> (wall and kiosk pages) move; the CSS transition makes
  // each step a slow glide nobody notices.
  var shiftStep = 0;
  function shiftOneStep() {
    shiftStep = (shiftStep + 1) % SHIFT_STEPS;
    var angle = (2 * Math.PI * shiftStep) / SHIFT_STEPS;
    root.style.setProperty("--ioc-shift-x", (SHIFT_RADIUS_PX * Math.cos(angle)).toFixed(2) + "px");
    root.style.setProperty("--ioc-shift-y", (SHIFT_RADIUS_PX * Math.sin(angle)).toFixed(2) + "px");
    root.setAttribute("data-shift-step", String(shiftStep));
  }
  state.shiftOneStep = shiftOneStep;  // for tests: a step without waiting a minute
  setInterval(shiftOneStep, SHIFT_STEP_MS);

  // --- a wall page that never rendered (server away while it loaded) -------------------------------
  setInterval(function () {
    if (!isWallUrl() || document.querySelector(".ioc-page, #wall-playlist")) return;
    if (Date.now() - state.loadedAt < BLANK_PAGE_GRACE_MS) return;
    setOffline(true);
    reloadIfServerUp();
  }, 10000);

  // --- playlists: rotate slides in two iframes ----------------------------------------------------------
  var PRELOAD_LEAD_MS = 10000;   // start loading the next slide this long before it is due
  var READY_WAIT_MS = 20000;     // how long a due slide may take to render before it is skipped
  var PROBE_MS = 15000;
  var SHELL_RELOAD_MS = 24 * 3600 * 1000;  // pick up configuration and code changes once a day

  var playlist = null;

  function frameReady(frame) {
    try {
      var doc = frame.contentDocument;
      return !!(doc && doc.querySelector(".ioc-page"));
    } catch (e) {
      return false;  // an error page of the browser: not ours, not ready
    }
  }

  function frameHasOwnBadge(frame) {
    try {
      var doc = frame.contentDocument;
      return !!(doc && doc.querySelector(".ioc-connection"));
    } catch (e) {
      return false;
    }
  }

  function startPlaylist() {
    if (playlist) return;
    var host = document.getElementById("wall-playlist");
    var slides;
    try {
      slides = JSON.parse(host.getAttribute("data-slides") || "[]");
    } catch (e) {
      slides = [];
    }
    if (!slides.length) return;
    var stage = host.querySelector(".ioc-playlist__stage") || host;
    var frames = [0, 1].map(function (i) {
      var frame = document.createElement("iframe");
      frame.className = "ioc-playlist__frame";
      frame.setAttribute("title", host.getAttribute("data-title") || "");
      frame.setAttribute("data-frame", String(i));
      stage.appendChild(frame);
      return frame;
    });
    playlist = {
      slides: slides, frames: frames, shown: -1, current: -1, next: null, nextIndex: 0, cycle: 0,
      startedAt: Date.now(), dueAt: 0, loadingSince: 0, advances: 0
    };
    window.iocWall.playlist = playlist;
    load(0, frames[0]);
    setInterval(tickPlaylist, 500);
    setInterval(probe, PROBE_MS);
  }

  function load(index, frame) {
    playlist.nextIndex = index;
    playlist.next = frame;
    playlist.loadingSince = Date.now();
    frame.setAttribute("data-slide", String(index));
    frame.src = playlist.slides[index].url;
  }

  function show(frame) {
    var index = Number(frame.getAttribute("data-slide"));
    playlist.frames.forEach(function (f) { f.classList.toggle("ioc-playlist__frame--shown", f === frame); });
    // Once the fade is over, empty the slide that went away: it would keep polling the server.
    var previous = playlist.frames[1 - playlist.frames.indexOf(frame)];
    setTimeout(function () {
      if (playlist.next !== previous && !previous.classList.contains("ioc-playlist__frame--shown")) {
        previous.removeAttribute("data-slide");
        previous.src = "about:blank";
      }
    }, 1500);
    if (index <= playlist.current) playlist.cycle += 1;
    playlist.current = index;
    playlist.shown = playlist.frames.indexOf(frame);
    playlist.next = null;
    playlist.advances += 1;
    playlist.dueAt = Date.now() + playlist.slides[index].dwell * 1000;
    root.setAttribute("data-playlist-slide", String(index));
    root.setAttribute("data-playlist-advances", String(playlist.advances));
    var counter = document.getElementById("wall-playlist-counter");
    if (counter) counter.textContent = (index + 1) + "/" + playlist.slides.length;
    var bar = document.getElementById("wall-playlist-progress");
    if (bar) {
      bar.style.transition = "none";
      bar.style.transform = "scaleX(0)";
      void bar.offsetWidth;
      bar.style.transition = "transform " + playlist.slides[index].dwell + "s linear";
      bar.style.transform = "scaleX(1)";
    }
  }

  function tickPlaylist() {
    var now = Date.now();
    var p = playlist;
    if (p.current < 0) {                       // the very first slide: show it as soon as it rendered
      if (frameReady(p.next)) show(p.next);
      else if (now - p.loadingSince > READY_WAIT_MS) load((p.nextIndex + 1) % p.slides.length, p.next);
      return;
    }
    var following = (p.current + 1) % p.slides.length;
    if (!p.next && now >= p.dueAt - PRELOAD_LEAD_MS) {
      if (p.cycle > 0 && following === 0 && now - p.startedAt > SHELL_RELOAD_MS) {
        reloadShellIfServerUp();
      }
      load(following, p.frames[1 - p.shown]);
      return;
    }
    if (p.next && now >= p.dueAt) {
      if (frameReady(p.next)) {
        show(p.next);
      } else if (now - Math.max(p.loadingSince, p.dueAt) > READY_WAIT_MS) {
        // It did not render (server away, page broken): keep the current slide, try the one after.
        load((p.nextIndex + 1) % p.slides.length, p.next);
        p.dueAt = now + PRELOAD_LEAD_MS;
      }
    }
  }

  function reloadShellIfServerUp() {
    nativeFetch(location.href, { method: "HEAD", cache: "no-store" }).then(function (response) {
      if (response.ok) location.reload();
    }, function () {});
  }

  function probe() {
    nativeFetch(location.href, { method: "HEAD", cache: "no-store" }).then(function (response) {
      setShellOffline(!response.ok);
    }, function () {
      setShellOffline(true);
    });
  }

  function setShellOffline(offline) {
    // The slide on screen shows its own badge when it has one; the shell's covers the others.
    var shown = playlist && playlist.shown >= 0 ? playlist.frames[playlist.shown] : null;
    setOffline(offline && !(shown && frameHasOwnBadge(shown)));
    root.setAttribute("data-server", offline ? "lost" : "ok");
  }
})();
