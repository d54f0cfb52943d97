// The fleet overview's charts: each <canvas data-chart="ID"> is drawn with Chart.js from the
// JSON of <script type="application/json" id="ID"> (json_script; no inline script: CSP).
// The same figures are in the table beside each chart.
"use strict";

(function () {
  // Distinct hues and dash patterns, so series differ by more than colour.
  var COLOURS = ["#157347", "#b54708", "#b42318", "#1d4ed8", "#6d28d9", "#0f766e", "#a21caf", "#4b5563"];
  var DASHES = [[], [6, 3], [2, 2], [8, 3, 2, 3], [4, 4], [1, 3], [10, 2], [3, 6]];
  // A series with a tone (a check outcome, an operation state) takes the page's status hue.
  var TONES = { ok: "#157347", warn: "#b54708", bad: "#b42318", busy: "#1d4ed8", off: "#9aa4b2" };

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source || typeof window.Chart === "undefined") return;
    var spec = JSON.parse(source.textContent);
    var datasets = spec.series.map(function (series, index) {
      var colour = TONES[series.tone] || COLOURS[index % COLOURS.length];
      return {
        label: series.label,
        data: series.data,
        backgroundColor: colour,
        borderColor: colour,
        borderDash: DASHES[index % DASHES.length],
        borderWidth: spec.type === "line" ? 2 : 0,
        pointRadius: spec.type === "line" ? 2 : 0,
        fill: false
      };
    });
    canvas.chart = new window.Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: {
          x: { stacked: spec.stacked },
          y: { stacked: spec.stacked, beginAtZero: true, ticks: { precision: 0 } }
        },
        plugins: { legend: { position: "bottom" } }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  });
})();
