// Reading and report pages: show/hide the heat map, change its opacity, print.
(function () {
  "use strict";

  document.querySelectorAll("[data-viewer]").forEach(function (viewer) {
    var heatmap = viewer.querySelector("[data-heatmap]");
    var toggle = viewer.querySelector("[data-heatmap-toggle]");
    var opacity = viewer.querySelector("[data-heatmap-opacity]");
    if (!heatmap || !toggle || !opacity) {
      return;
    }
    function apply() {
      heatmap.hidden = !toggle.checked;
      heatmap.style.opacity = String(opacity.value / 100);
      opacity.disabled = !toggle.checked;
      opacity.setAttribute("aria-valuetext", opacity.value + " %");
    }
    toggle.addEventListener("change", apply);
    opacity.addEventListener("input", apply);
    viewer.classList.add("is-interactive");
    apply();
  });

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
