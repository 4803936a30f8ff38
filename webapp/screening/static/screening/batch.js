// The batch page: ask the server for the batch's progress every few seconds and put the rows it
// renders in place, until every file is done or refused. Without JavaScript the page has a
// reload link (no automatic reload: it restarted screen readers).
(function () {
  "use strict";
  var section = document.querySelector("[data-batch-status-url]");
  if (!section || section.dataset.finished === "true") return;
  var url = section.dataset.batchStatusUrl;
  var delay = (parseInt(section.dataset.refreshSeconds, 10) || 3) * 1000;
  var items = section.querySelector("[data-batch-items]");
  var reload = section.querySelector("[data-batch-reload]");
  if (reload) reload.hidden = true;

  // Put the server's rows in place changing only what changed: the list sits in a live region,
  // so a replaced node is read out again, and a replaced link loses the keyboard focus. Rewriting
  // the whole list every few seconds did both, even when nothing had moved.
  function update(html) {
    var fresh = document.createElement("div");
    fresh.innerHTML = html; // rendered and escaped by the server's template
    // The page's rows have COVID-19 and RT-PCR wrapped to stay whole (site.js): so must these,
    // or no row would ever compare equal.
    if (window.cxrKeepTermsWhole) window.cxrKeepTermsWhole(fresh);
    if (fresh.children.length !== items.children.length) {
      items.innerHTML = html;
      return;
    }
    Array.prototype.forEach.call(fresh.children, function (node, i) {
      var current = items.children[i];
      if (current.isEqualNode(node)) return;
      if (current.tagName === "OL" && node.tagName === "OL" && current.children.length === node.children.length) {
        Array.prototype.forEach.call(node.children, function (row, j) {
          if (!current.children[j].isEqualNode(row)) current.replaceChild(row.cloneNode(true), current.children[j]);
        });
      } else {
        items.replaceChild(node.cloneNode(true), current);
      }
    });
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (body) {
        update(body.html);
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
