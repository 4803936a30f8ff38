// Reading and report pages: the X-ray viewer (zoom by buttons, Ctrl and the wheel, keys or a
// two-finger pinch; pan by dragging, arrow keys or buttons; brightness/contrast as window/level; the heat map
// on and off and its opacity) and the print button.
// Without this file the X-ray and its heat map are shown as they are, with no controls.
(function () {
  "use strict";

  var MIN_ZOOM = 1;
  var MAX_ZOOM = 8;
  var STEP = 1.25;

  function setupViewer(viewer) {
    var frame = viewer.querySelector("[data-viewer-frame]");
    var stack = viewer.querySelector("[data-viewer-stack]");
    var xray = viewer.querySelector("[data-xray]");
    var heatmap = viewer.querySelector("[data-heatmap]");
    var controls = viewer.querySelector("[data-viewer-controls]");
    var toggle = viewer.querySelector("[data-heatmap-toggle]");
    var opacity = viewer.querySelector("[data-heatmap-opacity]");
    var level = viewer.querySelector("[data-level]");
    var windowWidth = viewer.querySelector("[data-window]");
    var zoomLabel = viewer.querySelector("[data-zoom-level]");
    var filter = viewer.querySelector("[data-window-level]");
    // A reading whose heat map file was lost has the X-ray alone: zoom and window/level still work.
    var hasHeatmap = Boolean(heatmap && toggle && opacity);

    function applyHeatmap() {
      heatmap.hidden = !toggle.checked;
      heatmap.style.opacity = String(opacity.value / 100);
      opacity.disabled = !toggle.checked;
      opacity.setAttribute("aria-valuetext", opacity.value + "%");
    }
    if (hasHeatmap) {
      toggle.addEventListener("change", applyHeatmap);
      opacity.addEventListener("input", applyHeatmap);
      applyHeatmap();
    }
    viewer.classList.add("is-interactive");

    if (!frame || !stack || !xray) {
      return;
    }

    // --- window/level: grey value v (0..1) -> (v - (level - window / 2)) / window ---------------
    function applyWindowLevel() {
      if (!filter || !level || !windowWidth) {
        return;
      }
      var centre = 0.5 - Number(level.value) / 100; // brighter = a lower level
      var width = 100 / Number(windowWidth.value); // more contrast = a narrower window
      var slope = 1 / width;
      var intercept = 0.5 - centre / width;
      filter.querySelectorAll("feFuncR, feFuncG, feFuncB").forEach(function (func) {
        func.setAttribute("slope", slope.toFixed(4));
        func.setAttribute("intercept", intercept.toFixed(4));
      });
      var neutral = Number(level.value) === 0 && Number(windowWidth.value) === 100;
      // Only the X-ray: the heat map keeps its colours.
      xray.style.filter = neutral ? "" : "url(#" + filter.id + ")";
      level.setAttribute("aria-valuetext", String(level.value));
      windowWidth.setAttribute("aria-valuetext", windowWidth.value + "%");
    }
    if (level && windowWidth) {
      level.addEventListener("input", applyWindowLevel);
      windowWidth.addEventListener("input", applyWindowLevel);
    }

    // --- zoom and pan: the X-ray and its heat map move together --------------------------------
    var scale = 1;
    var x = 0;
    var y = 0;

    function clamp() {
      var width = frame.clientWidth;
      var height = frame.clientHeight;
      x = Math.min(0, Math.max(width - width * scale, x));
      y = Math.min(0, Math.max(height - height * scale, y));
    }

    var panButtons = viewer.querySelectorAll("[data-pan]");

    function applyTransform() {
      clamp();
      stack.style.transform = "translate(" + x + "px, " + y + "px) scale(" + scale + ")";
      frame.classList.toggle("is-zoomed", scale > 1);
      // Nothing to move at 100%. A pan button that has the focus when the wheel or a pinch
      // brings the zoom back there hands it to the viewer, which they acted on: disabled under
      // the focus, it let the focus fall to <body> (a screen-reader audit).
      var focusedPan = Array.prototype.indexOf.call(panButtons, document.activeElement) >= 0;
      panButtons.forEach(function (button) { button.disabled = scale <= 1; });
      if (focusedPan && scale <= 1) {
        frame.focus({ preventScroll: true });
      }
      if (zoomLabel) {
        zoomLabel.textContent = Math.round(scale * 100) + "%";
      }
    }

    // Zoom to `next`, keeping the point (px, py) of the frame where it is.
    function zoomTo(next, px, py) {
      next = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, next));
      if (px === undefined) {
        px = frame.clientWidth / 2;
        py = frame.clientHeight / 2;
      }
      x = px - ((px - x) * next) / scale;
      y = py - ((py - y) * next) / scale;
      scale = next;
      applyTransform();
    }

    // Every setting back to how the viewer opened, said in a status: it put back the zoom and,
    // silently, brightness and contrast, but not the heat map's opacity or its switch, and at
    // 100% already a screen reader heard nothing (a screen-reader audit).
    var viewSaid = viewer.querySelector("[data-view-said]");
    function reset() {
      scale = 1;
      x = 0;
      y = 0;
      applyTransform();
      if (level && windowWidth) {
        level.value = level.defaultValue;
        windowWidth.value = windowWidth.defaultValue;
        applyWindowLevel();
      }
      if (hasHeatmap) {
        toggle.checked = toggle.defaultChecked;
        opacity.value = opacity.defaultValue;
        applyHeatmap();
        describeFrame();
      }
      if (viewSaid) {
        viewSaid.textContent = "";
        window.setTimeout(function () { viewSaid.textContent = controls.dataset.msgReset || ""; }, 50);
      }
    }

    // As role="img" the frame speaks for its pictures, so its name carries their descriptions: the
    // X-ray's, the heat map's while it is shown, then how to use the viewer. The pictures are
    // hidden from screen readers: Chromium still gave them as images of their own inside it, and
    // each description was read twice (a screen-reader audit).
    function describeFrame() {
      var parts = [xray.alt];
      if (hasHeatmap && !heatmap.hidden) {
        parts.push(heatmap.alt);
      }
      parts.push(controls.dataset.labelFrame || "");
      frame.setAttribute("aria-label", parts.filter(Boolean).join(" "));
    }
    frame.tabIndex = 0;
    frame.setAttribute("role", "img");
    frame.querySelector("[data-viewer-stack]").setAttribute("aria-hidden", "true");
    describeFrame();
    if (hasHeatmap) {
      toggle.addEventListener("change", describeFrame);
    }

    // A plain wheel scrolls the page, zoomed or not: the X-ray is most of the reading's column,
    // and taking every wheel turn over it held the page still. Ctrl with the wheel (a trackpad's
    // pinch sends that too) zooms the X-ray, as does the wheel while the picture is dragged.
    frame.addEventListener("wheel", function (event) {
      if (!event.ctrlKey && !drag) {
        return;
      }
      event.preventDefault();
      // In steps of STEP a mouse notch (100 px); a trackpad's many small turns zoom as smoothly.
      var pixels = event.deltaY * (event.deltaMode === 1 ? 33 : event.deltaMode === 2 ? 100 : 1);
      var factor = Math.min(STEP, Math.max(1 / STEP, Math.pow(STEP, -pixels / 100)));
      var box = frame.getBoundingClientRect();
      zoomTo(scale * factor, event.clientX - box.left, event.clientY - box.top);
    }, { passive: false });

    frame.addEventListener("dblclick", function (event) {
      var box = frame.getBoundingClientRect();
      zoomTo(scale > 1 ? 1 : 2, event.clientX - box.left, event.clientY - box.top);
    });

    // Pointers on the frame: one drags a zoomed X-ray (mouse, pen or finger), two fingers pinch.
    // Touch pointers are tracked even at 100%: a second finger may start a pinch. A single finger
    // at 100% is left to the browser (touch-action in screening.css), which scrolls the page and
    // then sends pointercancel.
    var pointers = new Map();
    var drag = null;
    var pinch = null;

    function startDrag(id, point, isTouch) {
      drag = { id: id, startX: point.x - x, startY: point.y - y, touch: Boolean(isTouch) };
      frame.classList.add("is-dragging");
    }

    function endDrag() {
      drag = null;
      frame.classList.remove("is-dragging");
    }

    // The two fingers' distance and midpoint, in the frame's pixels.
    function fingers() {
      var points = Array.from(pointers.values()).slice(0, 2);
      var box = frame.getBoundingClientRect();
      return {
        distance: Math.hypot(points[1].x - points[0].x, points[1].y - points[0].y),
        x: (points[0].x + points[1].x) / 2 - box.left,
        y: (points[0].y + points[1].y) / 2 - box.top,
      };
    }

    function startPinch() {
      var start = fingers();
      endDrag();
      // The point of the picture (at scale 1) under the fingers' midpoint stays under it.
      pinch = {
        distance: Math.max(start.distance, 1),
        scale: scale,
        imageX: (start.x - x) / scale,
        imageY: (start.y - y) / scale,
      };
    }

    frame.addEventListener("pointerdown", function (event) {
      if (event.button !== 0) {
        return;
      }
      var isTouch = event.pointerType === "touch";
      if (!isTouch && scale <= 1) {
        return; // nothing to pan
      }
      pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
      frame.setPointerCapture(event.pointerId);
      if (pointers.size === 2) {
        startPinch();
      } else if (pointers.size === 1 && scale > 1) {
        startDrag(event.pointerId, pointers.get(event.pointerId), isTouch);
      }
    });
    frame.addEventListener("pointermove", function (event) {
      if (!pointers.has(event.pointerId)) {
        return;
      }
      pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
      if (pinch && pointers.size >= 2) {
        var now = fingers();
        scale = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, pinch.scale * now.distance / pinch.distance));
        x = now.x - pinch.imageX * scale;
        y = now.y - pinch.imageY * scale;
        applyTransform();
      } else if (drag && event.pointerId === drag.id) {
        var wantedY = event.clientY - drag.startY;
        x = event.clientX - drag.startX;
        y = wantedY;
        applyTransform();
        // A finger owns a zoomed X-ray (touch-action: none), so the browser scrolls nothing: once
        // the picture's top or bottom edge is reached, the rest of the swipe scrolls the page, or
        // a zoomed X-ray as wide as the phone held the page still. From there the finger counts
        // anew, so that swiping back moves the picture at once.
        if (drag.touch && y !== wantedY) {
          window.scrollBy(0, y - wantedY);
          drag.startY += wantedY - y;
        }
      }
    });
    function endPointer(event) {
      if (!pointers.delete(event.pointerId)) {
        return;
      }
      if (pinch && pointers.size < 2) {
        pinch = null;
        // The finger left on the picture goes on moving it, from where it is now.
        var rest = pointers.entries().next().value;
        if (rest && scale > 1) {
          startDrag(rest[0], rest[1], event.pointerType === "touch");
        }
      } else if (pinch && pointers.size >= 2) {
        startPinch(); // a third finger lifted: go on with the two still down
      } else if (drag && event.pointerId === drag.id) {
        endDrag();
      }
    }
    frame.addEventListener("pointerup", endPointer);
    frame.addEventListener("pointercancel", endPointer);

    // Move the zoomed picture by (dx, dy) pixels: positive shows more of the left / top.
    function pan(dx, dy) {
      x += dx;
      y += dy;
      applyTransform();
    }

    frame.addEventListener("keydown", function (event) {
      var moves = { ArrowLeft: [40, 0], ArrowRight: [-40, 0], ArrowUp: [0, 40], ArrowDown: [0, -40] };
      if (event.key === "+" || event.key === "=") {
        zoomTo(scale * STEP);
      } else if (event.key === "-" || event.key === "_") {
        zoomTo(scale / STEP);
      } else if (event.key === "0") {
        reset();
      } else if (moves[event.key] && scale > 1) {
        pan(moves[event.key][0], moves[event.key][1]);
      } else {
        return;
      }
      event.preventDefault();
    });

    viewer.querySelector("[data-zoom-in]").addEventListener("click", function () { zoomTo(scale * STEP); });
    viewer.querySelector("[data-zoom-out]").addEventListener("click", function () { zoomTo(scale / STEP); });
    viewer.querySelector("[data-view-reset]").addEventListener("click", reset);
    // The pan buttons do what dragging does (WCAG 2.5.7): a fifth of the frame a press.
    panButtons.forEach(function (button) {
      button.addEventListener("click", function () {
        var stepX = frame.clientWidth / 5;
        var stepY = frame.clientHeight / 5;
        var moves = { left: [stepX, 0], right: [-stepX, 0], up: [0, stepY], down: [0, -stepY] };
        var move = moves[button.dataset.pan];
        if (move && scale > 1) pan(move[0], move[1]);
      });
    });
    window.addEventListener("resize", applyTransform);
    applyTransform();
    applyWindowLevel();
  }

  document.querySelectorAll("[data-viewer]").forEach(setupViewer);

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
