// The warning before a signed-in session ends (webapp/accounts/idle.py: after
// SESSION_IDLE_MINUTES without a request). WCAG 2.2.1 asks that a time limit be announced
// before it runs out and extended by one simple action: without this, a doctor who paused over
// a note for half an hour lost it at "Save", sent to the login page. Typing on the page counts as
// activity too (at most one request every few minutes), so a note being written keeps the
// session. Another tab may have kept the session alive: the server is asked how long is left
// before anything is said, and that asking is not itself activity. (No inline scripts: CSP.)
(function () {
  "use strict";

  var body = document.body;
  var url = body.getAttribute("data-session-url");
  var banner = document.getElementById("session-warning");
  if (!url || !banner || !window.fetch) {
    return;
  }
  var idleSeconds = parseInt(body.getAttribute("data-session-seconds"), 10) || 1800;
  // Said this long before the end (two minutes; half the idle time if that is shorter).
  var warnBefore = Math.min(120, Math.floor(idleSeconds / 2));
  var typingCountsEvery = Math.min(300, Math.floor(idleSeconds / 3)) * 1000;
  var soon = banner.querySelector("[data-session-soon]");
  var ended = banner.querySelector("[data-session-ended]");
  var stay = banner.querySelector("[data-session-stay]");
  var timer = null;
  var lastKept = Date.now();

  function csrfToken() {
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function ask(method) {
    var options = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (method === "POST") {
      options.headers["X-CSRFToken"] = csrfToken();
    }
    return fetch(url, options).then(function (response) {
      if (!response.ok) {
        throw new Error("session time: " + response.status);
      }
      return response.json();
    });
  }

  function show(which) {
    soon.hidden = which !== "soon";
    ended.hidden = which !== "ended";
    banner.hidden = !which;
  }

  // Look again when `seconds` are left, less the warning's lead.
  function checkIn(seconds) {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, Math.max(1, seconds - warnBefore) * 1000);
  }

  function check() {
    ask("GET").then(function (state) {
      if (!state.signed_in) {
        show("ended");
      } else if (state.seconds_left > warnBefore + 5) {
        show(null);  // kept alive elsewhere meanwhile
        checkIn(state.seconds_left);
      } else {
        show("soon");
        window.clearTimeout(timer);
        timer = window.setTimeout(check, (state.seconds_left + 2) * 1000);
      }
    }).catch(function () {
      checkIn(warnBefore + 60);  // the server did not answer: try again in a minute
    });
  }

  function keepAlive() {
    lastKept = Date.now();
    return ask("POST").then(function (state) {
      if (state.signed_in) {
        show(null);
        checkIn(state.seconds_left);
      } else {
        show("ended");
      }
    }).catch(function () { /* said by the next check */ });
  }

  stay.addEventListener("click", keepAlive);
  document.addEventListener("input", function () {
    if (banner.hidden && Date.now() - lastKept >= typingCountsEvery) {
      keepAlive();
    }
  });
  checkIn(idleSeconds);
}());
