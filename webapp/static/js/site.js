// Small progressive enhancements for every page. The site works without this file:
// each behaviour here only saves a click. (No inline scripts: a CSP forbids them.)
(function () {
  "use strict";

  // Lets CSS hide controls that JavaScript makes unnecessary (e.g. the language "Change" button).
  document.documentElement.classList.add("js");

  // A <select data-autosubmit> submits its form as soon as a choice is made with the pointer.
  // From the keyboard, arrow keys change a closed select's value one step at a time, each step
  // firing "change": submitting then would leave the page before a keyboard user reached their
  // choice (WCAG 3.2.2). So a choice made with keys waits for Enter, or for the form's own
  // submit button, which is shown again for it.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    var byKeys = false;
    var submit = function () {
      if (select.form) {
        select.form.submit();
      }
    };
    select.addEventListener("pointerdown", function () {
      byKeys = false;
    });
    select.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        submit();
      } else if (event.key !== "Tab" && event.key !== "Shift") {
        byKeys = true;
      }
    });
    select.addEventListener("change", function () {
      if (!byKeys) {
        submit();
        return;
      }
      var button = select.form && select.form.querySelector(".js-hide[type=submit]");
      if (button) {
        button.classList.remove("js-hide");
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
