// DANE Admin web UI: the few behaviours that need a script (no inline scripts: CSP).
// Copy buttons, re-check countdowns; htmx does the polling.
"use strict";

function setUpCopyButtons(root) {
  root.querySelectorAll("[data-copy]").forEach(function (button) {
    if (button.dataset.copyReady) return;
    button.dataset.copyReady = "1";
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = button.getAttribute("data-copy");
      var done = function () {
        button.dataset.copied = "true";
        var status = button.parentElement.querySelector("[data-copy-status]");
        if (status) status.textContent = button.getAttribute("data-copied-label") || "Copied";
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () {});
      } else {
        var area = document.createElement("textarea");
        area.value = text;
        document.body.appendChild(area);
        area.select();
        try { document.execCommand("copy"); done(); } finally { area.remove(); }
      }
    });
  });
}

function setUpCountdowns(root) {
  root.querySelectorAll("[data-countdown-until]").forEach(function (button) {
    if (button.dataset.countdownReady) return;
    button.dataset.countdownReady = "1";
    var until = Date.parse(button.getAttribute("data-countdown-until"));
    var label = button.querySelector("[data-countdown]");
    var tick = function () {
      var left = Math.ceil((until - Date.now()) / 1000);
      if (left > 0) {
        button.disabled = true;
        if (label) label.textContent = " (" + left + " s)";
        window.setTimeout(tick, 1000);
      } else {
        button.disabled = false;
        if (label) label.textContent = "";
      }
    };
    tick();
  });
}

function setUp(root) {
  setUpCopyButtons(root);
  setUpCountdowns(root);
}

document.addEventListener("DOMContentLoaded", function () { setUp(document); });
document.addEventListener("htmx:load", function (event) { setUp(event.target); });
