// Repairs to Swagger UI's markup on /api/v1/docs/ that CSS cannot make (axe, WCAG 4.1.2 and
// 2.5.8), applied again whenever Swagger UI draws more of the page:
// - each operation's summary is a <button> with a deep link (<a href="#/default/...">) inside
//   it: a control inside a control, which screen readers announce wrongly, and a 14 px target.
//   The link loses its href; the button still opens the operation and, with deep linking on,
//   still puts its address in the location bar;
// - the "Servers" <select> is wrapped in an empty <label>: it is named by the "Servers" title
//   above it;
// - in an operation opened with "Try it out", each file input and each <select> of a parameter
//   (the array's type) is named by its parameter; the dialog's close button (an icon) is named
//   "Close"; an example (it may scroll sideways) can take the focus, so a keyboard scrolls it.
(function () {
  "use strict";

  var root = document.getElementById("swagger-ui");
  if (!root) return;

  function repair() {
    root.querySelectorAll(".opblock-summary-control a[href]").forEach(function (link) {
      link.removeAttribute("href");
    });
    root.querySelectorAll("tr[data-param-name], tr[data-property-name]").forEach(function (row) {
      var name = (row.getAttribute("data-param-name") || row.getAttribute("data-property-name") || "").trim();
      row.querySelectorAll("input[type=file], select").forEach(function (field) {
        if (name && !field.hasAttribute("aria-label") && !field.labels.length) {
          field.setAttribute("aria-label", name);
        }
      });
    });
    root.querySelectorAll(".close-modal").forEach(function (button) {
      if (!button.textContent.trim() && !button.hasAttribute("aria-label")) {
        button.setAttribute("aria-label", "Close");
      }
    });
    root.querySelectorAll(".highlight-code > .microlight").forEach(function (example) {
      if (!example.hasAttribute("tabindex")) {  // it may scroll once laid out: always a stop
        example.setAttribute("tabindex", "0");
      }
    });
    var servers = root.querySelector("select#servers");
    var title = root.querySelector(".servers-title");
    if (servers && title && !servers.hasAttribute("aria-labelledby")) {
      title.id = title.id || "servers-title";
      servers.setAttribute("aria-labelledby", title.id);
    }
  }

  repair();
  new MutationObserver(repair).observe(root, { childList: true, subtree: true });
})();
