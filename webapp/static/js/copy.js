// Copy buttons: <button data-copy="ELEMENT_ID" data-copied="..." data-copy-failed="..." hidden>
// copies that element's text to the clipboard and says so in the [data-copy-status] beside it.
// Without JavaScript the button stays hidden and the text can be selected as usual.
(function () {
  "use strict";

  function selectText(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.dataset.copy);
    if (!source) {
      return;
    }
    var status = button.parentNode.querySelector("[data-copy-status]");
    function say(text) {
      if (status) {
        status.textContent = text;
      }
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = source.textContent.trim();
      var copied = function () { say(button.dataset.copied); };
      var failed = function () {
        selectText(source); // the person can copy it by hand
        say(button.dataset.copyFailed);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(copied, failed);
        return;
      }
      selectText(source);
      try {
        if (document.execCommand("copy")) {
          copied();
        } else {
          failed();
        }
      } catch (ignored) {
        failed();
      }
    });
  });
})();
