// Upload page: drag and drop, a size/type check before sending, and upload progress.
// Without this file the form still works as a plain POST (the server checks everything again).
(function () {
  "use strict";

  var form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) {
    return;
  }
  var input = form.querySelector("input[type=file]");
  var dropzone = form.querySelector("[data-dropzone]");
  var fileName = form.querySelector("[data-file-name]");
  var progressBox = form.querySelector("[data-progress]");
  var progress = progressBox.querySelector("progress");
  var statusText = progressBox.querySelector("[data-status]");
  var submitButton = form.querySelector("[data-submit]");
  var result = document.getElementById("upload-result");
  var maxBytes = parseInt(form.dataset.maxBytes, 10);
  // Types a browser reports for files we certainly cannot read; anything else goes to the
  // server, which recognises formats by their first bytes (DICOM files often have no type).
  var refusedType = /^(text|video|audio)\/|^application\/(pdf|zip|msword|vnd\.)/;

  function megabytes(bytes) {
    return (bytes / (1024 * 1024)).toFixed(1) + " MB";
  }

  function showMessage(message) {
    result.textContent = "";
    var box = document.createElement("div");
    box.className = "alert alert-error refusal";
    box.setAttribute("role", "alert");
    box.setAttribute("data-testid", "upload-error");
    var text = document.createElement("p");
    text.textContent = message;
    box.appendChild(text);
    result.appendChild(box);
  }

  function problemWith(file) {
    if (!file) {
      return form.dataset.msgNoFile;
    }
    if (file.size > maxBytes) {
      return form.dataset.msgTooLarge;
    }
    if (file.type && refusedType.test(file.type)) {
      return form.dataset.msgWrongType;
    }
    return null;
  }

  function fileChosen() {
    var file = input.files[0];
    result.textContent = "";
    fileName.textContent = file ? file.name + " · " + megabytes(file.size) : "";
    var problem = problemWith(file);
    if (file && problem) {
      showMessage(problem);
    }
  }

  function setBusy(busy) {
    submitButton.disabled = busy;
    input.disabled = busy;
    form.classList.toggle("is-busy", busy);
  }

  input.addEventListener("change", fileChosen);

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
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      fileChosen();
    }
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var file = input.files[0];
    var problem = problemWith(file);
    if (problem) {
      showMessage(problem);
      return;
    }
    var data = new FormData(form);
    var request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    request.setRequestHeader("Accept", "application/json");

    request.upload.addEventListener("progress", function (progressEvent) {
      if (progressEvent.lengthComputable) {
        progress.value = Math.round((100 * progressEvent.loaded) / progressEvent.total);
      }
    });
    request.upload.addEventListener("load", function () {
      // The file is sent; the server now reads it. An indeterminate bar says "working".
      progress.removeAttribute("value");
      statusText.textContent = form.dataset.msgAnalysing;
    });
    request.addEventListener("load", function () {
      var body = null;
      try {
        body = JSON.parse(request.responseText);
      } catch (ignored) {
        body = null;
      }
      if (request.status === 201 && body && body.redirect) {
        window.location.assign(body.redirect);
        return;
      }
      setBusy(false);
      progressBox.hidden = true;
      if (body && body.html) {
        result.innerHTML = body.html; // rendered and escaped by the server's template
      } else if (body && body.error) {
        showMessage(body.error.message);
      } else if (request.status === 413) {
        showMessage(form.dataset.msgTooLarge);
      } else {
        showMessage(form.dataset.msgServer);
      }
      result.scrollIntoView({ block: "nearest" });
    });
    request.addEventListener("error", function () {
      setBusy(false);
      progressBox.hidden = true;
      showMessage(form.dataset.msgNetwork);
    });

    result.textContent = "";
    progress.value = 0;
    statusText.textContent = form.dataset.msgUploading;
    progressBox.hidden = false;
    // FormData was built before disabling the input (a disabled input would not be sent).
    setBusy(true);
    request.send(data);
  });
})();
