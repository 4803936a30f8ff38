// Account helpers on every page. The time zone: tells the server the browser's zone (the `tz`
// cookie) so that times are shown in it (webapp/accounts/timezones.py), and fills an empty
// time-zone choice with it; without JavaScript times stay in the server's zone and say which.
// The registration form: shows the doctor's fields only for doctors. (No inline scripts: CSP.)
(function () {
  "use strict";

  var zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (error) {
    return;
  }
  if (!/^[A-Za-z0-9_+\-\/]{1,64}$/.test(zone)) {
    return;
  }

  var current = document.cookie.split("; ").filter(function (part) {
    return part.indexOf("tz=") === 0;
  })[0];
  // Zone names hold only cookie-safe characters (checked above): sent as they are.
  if (current !== "tz=" + zone) {
    document.cookie = "tz=" + zone + "; path=/; max-age=31536000; SameSite=Lax";
  }

  // A <select data-browser-time-zone> with nothing chosen gets the browser's zone.
  document.querySelectorAll("select[data-browser-time-zone]").forEach(function (select) {
    if (!select.value && select.querySelector('option[value="' + zone + '"]')) {
      select.value = zone;
    }
  });

  // The registration form shows the doctor's fields only when "Doctor" is chosen.
  var doctorFields = document.querySelector("[data-doctor-only]");
  if (doctorFields) {
    var radios = document.querySelectorAll('input[name="role"]');
    var update = function () {
      var chosen = document.querySelector('input[name="role"]:checked');
      doctorFields.hidden = !(chosen && chosen.value === "doctor");
    };
    radios.forEach(function (radio) { radio.addEventListener("change", update); });
    update();
  }
})();
