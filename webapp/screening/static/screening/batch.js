// The batch page: ask the server for the batch's progress every few seconds and put the rows it
// renders in place, until every file is done or refused. Without JavaScript the page reloads
// itself (a meta refresh in <noscript>) and has a reload link.
(function () {
  "use strict";
  var section = document.querySelector("[data-batch-status-url]");
  if (!section || section.dataset.finished === "true") return;
  var url = section.dataset.batchStatusUrl;
  var delay = (parseInt(section.dataset.refreshSeconds, 10) || 3) * 1000;
  var items = section.querySelector("[data-batch-items]");
  var reload = section.querySelector("[data-batch-reload]");
  if (reload) reload.hidden = true;

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (body) {
        items.innerHTML = body.html;
        if (body.state === "finished") {
          section.dataset.finished = "true";
        } else {
          window.setTimeout(poll, delay);
        }
      })
      .catch(function () {
        if (reload) reload.hidden = false; // the link still works
        window.setTimeout(poll, delay * 3);
      });
  }
  window.setTimeout(poll, delay);
})();
