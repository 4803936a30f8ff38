// Upload page: drag and drop, one or several files, a size/type check before sending, and a
// progress bar per file (each file is its own request, sent one after another).
// Without this file the form still works as a plain POST of every chosen file (the server
// checks everything again and answers with one page of results).
(function () {
  "use strict";

  var form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) {
    return;
  }
  var input = form.querySelector("input[type=file]");
  var dropzone = form.querySelector("[data-dropzone]");
  var fileName = form.querySelector("[data-file-name]");
  var queue = form.querySelector("[data-queue]");
  var resultsCaveat = form.querySelector("[data-results-caveat]");
  var submitButton = form.querySelector("[data-submit]");
  var submitLabel = submitButton.textContent;
  var result = document.getElementById("upload-result");
  var maxBytes = parseInt(form.dataset.maxBytes, 10);
  var maxFiles = parseInt(form.dataset.maxFiles, 10);
  var language = document.documentElement.lang || undefined;
  // Types a browser reports for files we certainly cannot read; anything else goes to the
  // server, which recognises formats by their first bytes (DICOM files often have no type).
  var refusedType = /^(text|video|audio)\/|^application\/(pdf|zip|msword|vnd\.)/;
  var chosen = [];
  var tooMany = false; // more files were chosen than one upload takes: none are in `chosen`
  var busy = false;
  var ERROR_ID = "upload-file-error";
  // The patient reference and the DICOM Patient ID choice belong to the files just read: once
  // several files have been read with them, files chosen next start without them (else the next
  // patient's X-ray was filed, unseen, under the previous patient's reference).
  var referenceInput = form.querySelector("input[name=patient_reference]");
  var fromDicom = form.querySelector("input[name=reference_from_dicom]");
  var referenceUsed = false;
  var referenceNote = null;
  if (referenceInput) {
    // An empty live region from the start, so that the note put in it later is announced.
    referenceNote = document.createElement("p");
    referenceNote.className = "helptext reference-cleared";
    referenceNote.setAttribute("role", "status");
    referenceNote.setAttribute("data-testid", "reference-cleared");
    referenceInput.parentNode.insertBefore(referenceNote, referenceInput.nextSibling);
    referenceInput.addEventListener("input", function () {
      referenceNote.textContent = "";
      referenceUsed = false; // typed after the upload: the next patient's, kept
    });
  }
  if (fromDicom) {
    fromDicom.addEventListener("change", function () {
      referenceUsed = false;
    });
  }

  function clearUsedReference() {
    if (!referenceUsed) {
      return;
    }
    referenceUsed = false;
    var filled = (referenceInput && referenceInput.value.trim() !== "") || (fromDicom && fromDicom.checked);
    if (referenceInput) {
      referenceInput.value = "";
    }
    if (fromDicom) {
      fromDicom.checked = false;
    }
    if (filled && referenceNote) {
      referenceNote.textContent = form.dataset.msgReferenceCleared || "";
    }
  }

  // As Django's filesizeformat writes sizes on the other pages (batches, history): 9113 ->
  // "8.9 KB" ("8,9 KB" in Indonesian), 2048 -> "2.0 KB", 500 -> "500 bytes"; the number and
  // its unit are held together by a no-break space.
  var SIZE_UNITS = ["KB", "MB", "GB", "TB", "PB"];
  function humanSize(bytes) {
    if (bytes < 1024) {
      var words = bytes === 1 ? form.dataset.sizeByte : form.dataset.sizeBytes;
      return fill(words || "{size} bytes", { size: bytes }).replace(/ /g, "\u00a0");
    }
    var value = bytes / 1024;
    var unit = 0;
    while (value >= 1024 && unit < SIZE_UNITS.length - 1) {
      value /= 1024;
      unit += 1;
    }
    var number = new Intl.NumberFormat(language, {
      minimumFractionDigits: 1, maximumFractionDigits: 1, useGrouping: false
    }).format(value);
    return number + "\u00a0" + SIZE_UNITS[unit];
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (match, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : match;
    });
  }

  function errorBox(message) {
    var box = document.createElement("div");
    box.className = "alert alert-error refusal";
    box.setAttribute("role", "alert");
    box.setAttribute("data-testid", "upload-error");
    var text = document.createElement("p");
    text.textContent = message;
    box.appendChild(text);
    return box;
  }

  // The file field's own error (what was chosen cannot be sent): the field is marked invalid
  // and described by the message, on top of any description it had.
  function markFileInvalid(invalid) {
    var ids = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (id) {
      return id && id !== ERROR_ID;
    });
    if (invalid) {
      ids.push(ERROR_ID);
      input.setAttribute("aria-invalid", "true");
    } else {
      // "false", not absent: Chromium takes an empty required file field for invalid.
      input.setAttribute("aria-invalid", "false");
    }
    if (ids.length) {
      input.setAttribute("aria-describedby", ids.join(" "));
    } else {
      input.removeAttribute("aria-describedby");
    }
  }

  function showMessage(message) {
    result.textContent = "";
    var box = errorBox(message);
    box.id = ERROR_ID;
    result.appendChild(box);
    markFileInvalid(true);
  }

  function problemWith(file) {
    if (file.size > maxBytes) {
      return form.dataset.msgTooLarge;
    }
    if (file.size === 0) {
      return form.dataset.msgEmpty;
    }
    if (file.type && refusedType.test(file.type)) {
      return form.dataset.msgWrongType;
    }
    return null;
  }

  // One row per chosen file: name, size, its own progress bar and what became of it.
  function makeRow(file) {
    var row = document.createElement("li");
    row.className = "queue-item";
    row.setAttribute("data-testid", "upload-item");
    var head = document.createElement("div");
    head.className = "queue-head";
    var name = document.createElement("span");
    name.className = "queue-name";
    name.textContent = file.name;
    var size = document.createElement("span");
    size.className = "queue-size";
    size.textContent = humanSize(file.size);
    head.appendChild(name);
    head.appendChild(document.createTextNode(" "));
    head.appendChild(size);
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", file.name);
    // Not a live region: each row's "Waiting", "Uploading", "Reading" and result were read out,
    // about ten announcements for three files (a screen-reader audit); the summary, focused at
    // the end, says the outcome, and a refusal's own alert says it when it happens.
    var status = document.createElement("div");
    status.className = "queue-status";
    row.appendChild(head);
    row.appendChild(bar);
    row.appendChild(status);
    return { file: file, row: row, bar: bar, status: status, problem: problemWith(file) };
  }

  function markRefused(item, node) {
    item.row.classList.add("is-refused");
    item.bar.hidden = true;
    item.status.textContent = "";
    item.status.appendChild(node);
  }

  function filesChosen(files) {
    clearUsedReference();
    result.textContent = "";
    markFileInvalid(false);
    queue.textContent = "";
    if (resultsCaveat) {
      resultsCaveat.hidden = true;
    }
    chosen = Array.prototype.slice.call(files || []);
    fileName.textContent = chosen.length === 1 ? chosen[0].name + " · " + humanSize(chosen[0].size) : "";
    tooMany = chosen.length > maxFiles;
    if (tooMany) {
      // None of them will be sent: the button does not count them, and pressing it says why.
      showMessage(form.dataset.msgTooMany);
      chosen = [];
      submitButton.textContent = submitLabel;
      queue.hidden = true;
      return;
    }
    submitButton.textContent = chosen.length > 1 ? fill(form.dataset.labelMany, { count: chosen.length }) : submitLabel;
    chosen = chosen.map(makeRow);
    if (chosen.length === 1) {
      // One file: say a problem where it always was, above the form.
      queue.hidden = true;
      if (chosen[0].problem) {
        showMessage(chosen[0].problem);
      }
      return;
    }
    chosen.forEach(function (item) {
      if (item.problem) {
        markRefused(item, errorBox(item.problem));
      }
      queue.appendChild(item.row);
    });
    queue.hidden = chosen.length === 0;
  }

  // While files are sent, the button and the file field say they are unavailable (aria-disabled)
  // and ignore presses, but stay focusable: a disabled button that had the focus dropped it to
  // <body>, where a keyboard or screen reader user lost their place.
  function setBusy(value) {
    busy = value;
    [submitButton, input].forEach(function (control) {
      if (value) {
        control.setAttribute("aria-disabled", "true");
      } else {
        control.removeAttribute("aria-disabled");
      }
    });
    form.classList.toggle("is-busy", value);
  }

  // After the upload, the focus goes to what it led to (the summary, or the refusal) unless the
  // reader has moved it elsewhere meanwhile (then its own status or alert role says it): to its
  // first words (a refusal's heading), which a screen reader says, not to an unnamed box. The
  // focus says it, so it is no alert or status as well: that was said two or three times (a
  // screen-reader audit).
  function focusResult(node) {
    var here = document.activeElement;
    if (here && here !== document.body && here !== submitButton && here !== input) {
      return;
    }
    if (/^(alert|status)$/.test(node.getAttribute("role") || "")) {
      node.removeAttribute("role");
    }
    node.querySelectorAll("[role=alert], [role=status]").forEach(function (element) {
      element.removeAttribute("role");
    });
    var target = node.matches("h2, p") ? node : node.querySelector("h2, p") || node;
    target.setAttribute("tabindex", "-1");
    target.focus();
  }

  // A busy file field opens no file picker (a click, or Enter or Space on it).
  input.addEventListener("click", function (event) {
    if (busy) {
      event.preventDefault();
    }
  });

  function sendOne(item, done) {
    var data = new FormData(form);
    data.delete("image");
    data.append("image", item.file, item.file.name);
    var request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    request.setRequestHeader("Accept", "application/json");
    item.status.textContent = form.dataset.msgUploading;

    request.upload.addEventListener("progress", function (progressEvent) {
      if (progressEvent.lengthComputable) {
        item.bar.value = Math.round((100 * progressEvent.loaded) / progressEvent.total);
      }
    });
    request.upload.addEventListener("load", function () {
      // The file is sent; the server now reads it. An indeterminate bar says "working".
      item.bar.removeAttribute("value");
      item.status.textContent = form.dataset.msgAnalysing;
    });
    request.addEventListener("load", function () {
      var body = null;
      try {
        body = JSON.parse(request.responseText);
      } catch (ignored) {
        body = null;
      }
      if (request.status === 201 && body && body.redirect) {
        item.row.classList.add("is-done");
        item.bar.value = 100;
        item.status.textContent = "";
        var link = document.createElement("a");
        link.href = body.redirect;
        link.textContent = body.headline || body.redirect;
        item.status.appendChild(link);
        if (body.label_caveat_short) {
          // As under the reading's own result: how often such a label was right elsewhere.
          var caveat = document.createElement("p");
          caveat.className = "label-caveat small";
          caveat.setAttribute("data-testid", "upload-label-caveat");
          caveat.textContent = body.label_caveat_short;
          item.status.appendChild(caveat);
        }
        done(body);
        return;
      }
      var box = document.createElement("div");
      if (body && body.html) {
        box.innerHTML = body.html; // rendered and escaped by the server's template
      } else if (body && body.error) {
        box.appendChild(errorBox(body.error.message));
      } else if (request.status === 413) {
        box.appendChild(errorBox(form.dataset.msgTooLarge));
      } else {
        box.appendChild(errorBox(form.dataset.msgServer));
      }
      markRefused(item, box);
      done(null);
    });
    request.addEventListener("error", function () {
      markRefused(item, errorBox(form.dataset.msgNetwork));
      done(null);
    });
    request.send(data);
  }

  input.addEventListener("change", function () {
    if (!busy) {
      filesChosen(input.files);
    }
  });

  // Coming Back to this page, the browser may put the files chosen before into the file field
  // again without a change event: take them as chosen, else the button answered "Choose an
  // image file first" for files the page shows as chosen.
  function takeRestoredFiles() {
    if (!busy && !chosen.length && input.files && input.files.length) {
      filesChosen(input.files);
    }
  }
  takeRestoredFiles();
  window.addEventListener("pageshow", takeRestoredFiles);

  ["dragenter", "dragover"].forEach(function (name) {
    dropzone.addEventListener(name, function (event) {
      event.preventDefault();
      dropzone.classList.add("is-dragover");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    dropzone.addEventListener(name, function (event) {
      event.preventDefault();
      dropzone.classList.remove("is-dragover");
    });
  });
  dropzone.addEventListener("drop", function (event) {
    if (!busy && event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      filesChosen(input.files);
    }
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) {
      return; // the files already on their way
    }
    if (!chosen.length) {
      showMessage(tooMany ? form.dataset.msgTooMany : form.dataset.msgNoFile);
      return;
    }
    var single = chosen.length === 1;
    if (single && chosen[0].problem) {
      showMessage(chosen[0].problem);
      return;
    }
    var pending = chosen.filter(function (item) { return !item.problem && !item.row.classList.contains("is-done"); });
    if (!pending.length) {
      return;
    }
    result.textContent = "";
    if (referenceNote) {
      referenceNote.textContent = "";
    }
    if (single) {
      // One file: its row (progress and status) stands where the chosen file's name was.
      queue.textContent = "";
      queue.appendChild(chosen[0].row);
      queue.hidden = false;
    }
    pending.forEach(function (item) {
      item.status.textContent = form.dataset.msgWaiting;
    });
    setBusy(true);
    var read = 0;
    var last = null;
    (function next(index) {
      if (index >= pending.length) {
        setBusy(false);
        if (single && last) {
          window.location.assign(last.redirect);
          return;
        }
        if (single) {
          // Show the refusal above the form, as before, and forget the row.
          var refusal = chosen[0].status.firstChild;
          queue.hidden = true;
          result.textContent = "";
          if (refusal) {
            result.appendChild(refusal);
            focusResult(refusal);
          }
          result.scrollIntoView({ block: "nearest" });
          return;
        }
        // Files were filed under the reference: the next files chosen are another patient's.
        referenceUsed = read > 0;
        var summary = document.createElement("p");
        summary.className = "queue-summary";
        // A status only if the focus cannot go to it (the reader moved it elsewhere meanwhile).
        summary.setAttribute("role", "status");
        summary.setAttribute("data-testid", "upload-summary");
        // Which files were not read, by name: the rows say why.
        var notRead = chosen.filter(function (item) { return item.row.classList.contains("is-refused"); })
          .map(function (item) { return item.file.name; });
        summary.textContent = fill(form.dataset.msgSummary, { read: read, total: chosen.length }) + " "
          + (notRead.length ? fill(form.dataset.msgNotRead, { names: notRead.join(", ") }) + " " : "");
        var history = document.createElement("a");
        history.href = form.dataset.historyUrl;
        history.textContent = form.dataset.msgHistory;
        summary.appendChild(history);
        result.textContent = "";
        result.appendChild(summary);
        focusResult(summary);
        // Every file has had its answer: the field and the button start again, the rows stay.
        // Left as they were, the button still offered "Screen these 3 X-rays" and pressing it sent
        // the refused files a second time.
        input.value = "";
        chosen = [];
        submitButton.textContent = submitLabel;
        return;
      }
      sendOne(pending[index], function (body) {
        if (body) {
          read += 1;
          last = body;
          if (!single && resultsCaveat) {
            // Results are listed: what they are (estimates, not diagnoses) is said above them.
            resultsCaveat.hidden = false;
          }
        }
        next(index + 1);
      });
    })(0);
  });
})();
