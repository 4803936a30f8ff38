// Small progressive enhancements for every page. The site works without this file:
// each behaviour here only saves a click or tidies a line. (No inline scripts: a CSP forbids them.)
(function () {
  "use strict";

  // Lets CSS hide controls that JavaScript makes unnecessary (e.g. the language "Change" button).
  document.documentElement.classList.add("js");

  // "COVID-19" and "RT-PCR" never break at their hyphen ("COVID-" at the end of a line and "19"
  // on the next, as on most pages that name them on a 360 px phone): each in the page's text,
  // and in text added later, goes in a <span class="term"> (white-space: nowrap). The characters
  // stay the typed ones, so find-in-page, copying and screen readers get the words unchanged (a
  // non-breaking hyphen would not), and the server's HTML stays as it is.
  var TERMS = /(COVID-19|RT-PCR)/;
  var NOT_TEXT = "script, style, textarea, title, select, svg, .term";
  function keepTermsWhole(root) {
    var found = [];
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (var node = walker.nextNode(); node; node = walker.nextNode()) {
      if (TERMS.test(node.data) && !node.parentElement.closest(NOT_TEXT)) {
        found.push(node);
      }
    }
    found.forEach(function (text) {
      var pieces = document.createDocumentFragment();
      text.data.split(TERMS).forEach(function (piece, index) {
        if (index % 2) {
          var term = document.createElement("span");
          term.className = "term";
          term.textContent = piece;
          pieces.appendChild(term);
        } else if (piece) {
          pieces.appendChild(document.createTextNode(piece));
        }
      });
      text.replaceWith(pieces);
    });
  }
  keepTermsWhole(document.body);
  // For scripts that compare the server's fresh HTML with the page (the batch page's polling):
  // they must wrap the terms in it too, or every row looks changed and is replaced.
  window.cxrKeepTermsWhole = keepTermsWhole;
  new MutationObserver(function (changes) {
    changes.forEach(function (change) {
      change.addedNodes.forEach(function (node) {
        if (node.nodeType === Node.ELEMENT_NODE) {
          keepTermsWhole(node);
        } else if (node.nodeType === Node.TEXT_NODE && node.parentElement) {
          keepTermsWhole(node.parentElement);
        }
      });
    });
  }).observe(document.body, { childList: true, subtree: true });

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

  // A table wider than a phone scrolls sideways in its .table-scroll box; a keyboard user can
  // scroll it only if the box takes the focus (WCAG 2.1.1), so a box that scrolls is a tab stop,
  // a region named by the heading above it (a screen reader says which table it is in). A box
  // whose table fits is no tab stop. Checked again when the window's width changes.
  function headingAbove(box) {
    for (var node = box; node && node !== document.body; node = node.parentElement) {
      for (var before = node.previousElementSibling; before; before = before.previousElementSibling) {
        if (/^H[1-6]$/.test(before.tagName)) {
          return before;
        }
        var inside = before.querySelectorAll("h1, h2, h3, h4, h5, h6");
        if (inside.length) {
          return inside[inside.length - 1];
        }
      }
    }
    return null;
  }
  var namedHeadings = 0;
  function scrollBoxesTakeTheFocus() {
    document.querySelectorAll(".table-scroll").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        var heading = headingAbove(box);
        if (heading) {
          heading.id = heading.id || "table-heading-" + (namedHeadings += 1);
          box.setAttribute("role", "region");
          box.setAttribute("aria-labelledby", heading.id);
        }
      } else if (!scrolls && box.hasAttribute("tabindex")) {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-labelledby");
      }
    });
  }
  scrollBoxesTakeTheFocus();
  window.addEventListener("resize", scrollBoxesTakeTheFocus);

  // A part folded under a summary (details.fold, How it works) prints open. CSS does it where
  // the browser knows ::details-content; elsewhere the parts open for the print and close after.
  var openedForPrint = [];
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details.fold:not([open])").forEach(function (part) {
      part.open = true;
      openedForPrint.push(part);
    });
  });
  window.addEventListener("afterprint", function () {
    openedForPrint.forEach(function (part) { part.open = false; });
    openedForPrint = [];
  });

  // A page that comes back with news puts the focus on it, so that a screen reader says it and
  // the next Tab goes on from there; the focus stayed on <body> (or on a field the page focuses
  // itself, autofocus), the news unsaid (a screen-reader audit). The first of:
  // - a field in error (Django marks it aria-invalid): its error is read out with it
  //   (aria-describedby) and the browser scrolls it into view (the account deletion's wrong
  //   password sat below a phone's first screen);
  // - a form's own error, of no one field ("The email address or the password is not correct.",
  //   _form_errors.html), which an alert rendered with the page does not reliably say;
  // - what the page marks as its news (data-focus-on-load: a new API key shown once, notes saved);
  // - the message an action left ("The reading and its images were deleted.").
  var messages = document.querySelector(".messages-region .messages");
  var news = document.querySelector("form [aria-invalid='true']")
    || document.querySelector("[data-form-errors]")
    || document.querySelector("[data-focus-on-load]")
    || (messages && messages.children.length ? messages : null);
  if (news) {
    if (!news.matches("input, select, textarea, button, a[href]")) {
      news.setAttribute("tabindex", "-1");
    }
    news.focus();
    // A page opened at a fragment (the reading's #your-notes after a save) has it handled after
    // this script, which takes the focus from the news: it is given back once, straight after.
    if (location.hash) {
      window.addEventListener("load", function () {
        if (document.activeElement === document.body) {
          news.focus();
        }
      }, { once: true });
    }
  }

  // On a phone the header's links are one row that scrolls sideways (site.css). Chromium leaves
  // a link reached with Tab half outside the row when part of it already shows: bring the whole
  // link in, so a keyboard user sees where the focus is.
  var navRow = document.querySelector(".main-nav ul");
  if (navRow) {
    navRow.addEventListener("focusin", function (event) {
      if (navRow.scrollWidth > navRow.clientWidth + 1) {
        event.target.scrollIntoView({ block: "nearest", inline: "nearest" });
      }
    });
  }

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
