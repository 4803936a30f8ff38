// Small progressive enhancements for every page. The site works without this file:
// each behaviour here only saves a click. (No inline scripts: a CSP forbids them.)
(function () {
  "use strict";

  // Lets CSS hide controls that JavaScript makes unnecessary (e.g. the language "Change" button).
  document.documentElement.classList.add("js");

  // A <select data-autosubmit> submits its form as soon as a choice is made.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form) {
        select.form.submit();
      }
    });
  });

  // The account menu (<details>) closes on a click outside it or on Escape.
  var menus = document.querySelectorAll("details.account-menu");
  document.addEventListener("click", function (event) {
    menus.forEach(function (menu) {
      if (menu.open && !menu.contains(event.target)) {
        menu.open = false;
      }
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    menus.forEach(function (menu) {
      if (menu.open) {
        menu.open = false;
        menu.querySelector("summary").focus();
      }
    });
  });
})();
