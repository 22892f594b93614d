// Draws every chart of a page: a <canvas data-chart="ID"> whose data is the JSON of the
// <script type="application/json" id="ID"> beside it ({labels, series: [{name, values}]}).
// Chart.js is served by this API (static/vendor/), like everything the page loads.
"use strict";

const COLOURS = ["#c0392b", "#e1a100", "#2471a3", "#1e8449"];

function draw(canvas) {
  const data = JSON.parse(document.getElementById(canvas.dataset.chart).textContent);
  const datasets = data.series.map((series, index) => ({
    label: series.name,
    data: series.values,
    backgroundColor: COLOURS[index % COLOURS.length],
  }));
  new Chart(canvas, {
    type: "bar",
    data: { labels: data.labels, datasets },
    options: { animation: false, responsive: true, scales: { y: { beginAtZero: true } } },
  });
  canvas.dataset.drawn = String(datasets.length);
}

document.querySelectorAll("canvas[data-chart]").forEach(draw);
