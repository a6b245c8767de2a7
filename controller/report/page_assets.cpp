#include "controller/report/page_assets.h"

namespace faultline::controller::report {

const char* const kReportStyle = R"CSS(
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;max-width:1300px}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}h3{font-size:1.05em}
.verdict{display:inline-block;padding:.2em .7em;border-radius:4px;color:#fff;font-weight:bold}
.v-true{background:#2a7d2e}.v-false{background:#b3261e}.v-unknown{background:#a66f00}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
pre{background:#f6f6f6;padding:.5em;overflow:auto;max-height:24em;white-space:pre-wrap}
.chart{position:relative;height:260px}.note{color:#a66f00;font-weight:bold}
table.events{font-size:.85em}table.events tr.focus{background:#ffe08a}
details.finding{margin:.4em 0 .8em 0}.muted{color:#777}
)CSS";

const char* const kReportScript = R"JS(
(function () {
const data = JSON.parse(document.getElementById('faultline-data').textContent);
const root = document.documentElement;
const palette = {partition:'#d62728',kill:'#111111',pause:'#7f7f7f',delay:'#1f77b4',loss:'#ff7f0e',
  duplicate:'#9467bd',corrupt:'#8c564b','clock-skew':'#e377c2','clock-drift':'#e377c2','clock-stop':'#e377c2',
  'disk-fill':'#bcbd22','disk-slow':'#17becf','disk-error':'#c49c94','lose-unsynced':'#dbdb8d','corrupt-file':'#8c564b',bandwidth:'#2ca02c',reorder:'#aec7e8'};
const colour = k => palette[k] || '#555555';
const end = Math.max(data.end, 0.001);
let drawn = 0, faultBars = 0;
function note(el, text) { const p = document.createElement('p'); p.className = 'note'; p.textContent = text; el.replaceWith(p); }
if (typeof Chart === 'undefined') {
  document.querySelectorAll('.chart').forEach(e => note(e, 'Charts unavailable: Chart.js (Debian package libjs-chart.js) was not found when this report was written; the tables below still hold the data.'));
  root.setAttribute('data-charts', '0');
  document.title += ' [rendered]';
  return;
}
const shade = {id:'faultShade', beforeDatasetsDraw(chart) {
  const {ctx, chartArea, scales} = chart; if (!scales.x) return;
  ctx.save();
  for (const f of data.faults) {
    const x0 = Math.max(scales.x.getPixelForValue(f.start), chartArea.left);
    const x1 = Math.min(scales.x.getPixelForValue(f.end), chartArea.right);
    if (x1 <= x0) continue;
    ctx.fillStyle = colour(f.kind) + '26';
    ctx.fillRect(x0, chartArea.top, x1 - x0, chartArea.bottom - chartArea.top);
  }
  ctx.restore();
}};
const xAxis = () => ({type:'linear', min:0, max:end, title:{display:true, text:'seconds since the test began'}});
function fit(id, rows) {
  const box = document.getElementById(id).parentElement;
  box.style.height = Math.max(160, 70 + rows * 24) + 'px';
}
function gantt(id, rows, spans, colourOf, extra) {
  fit(id, rows.length);
  const byKind = {};
  for (const s of spans) (byKind[s.kind] = byKind[s.kind] || []).push({x:[s.start, s.end], y:s.row, info:s.info || ''});
  const datasets = Object.entries(byKind).map(([k, d]) => ({label:k, data:d, backgroundColor:colourOf(k),
    borderWidth:0, grouped:false, barPercentage:0.8, categoryPercentage:1}));
  new Chart(document.getElementById(id), {type:'bar', data:{labels:rows, datasets}, plugins:extra || [],
    options:{indexAxis:'y', animation:false, maintainAspectRatio:false,
      scales:{x:xAxis(), y:{type:'category', labels:rows}},
      plugins:{tooltip:{callbacks:{label:c => `${c.dataset.label} ${c.raw.info} ${c.raw.x[0].toFixed(3)}s–${c.raw.x[1].toFixed(3)}s`}}}}});
  drawn++;
}
function line(id, datasets, yTitle, yType) {
  new Chart(document.getElementById(id), {type:'line', plugins:[shade], data:{datasets},
    options:{animation:false, maintainAspectRatio:false, parsing:false, normalized:true,
      scales:{x:xAxis(), y:{type:yType || 'linear', beginAtZero:true, title:{display:true, text:yTitle}}}}});
  drawn++;
}
// Fault timeline: one row per node; a partition row tells whose packets the node drops.
const spans = [];
for (const f of data.faults) for (const n of f.targets) {
  let info = f.id;
  if (f.grudge && f.grudge[n]) info += ' drops from ' + f.grudge[n].join(',');
  if (!f.ended) info += ' (never ended)';
  spans.push({start:f.start, end:Math.max(f.end, f.start + end / 1000), row:n, kind:f.kind || '?', info});
}
const nodes = [...data.nodes];
for (const s of spans) if (!nodes.includes(s.row)) nodes.push(s.row);
if (nodes.length) { gantt('timeline', nodes, spans, colour); faultBars = spans.length; }
else note(document.getElementById('timeline'), 'No nodes and no faults in this history.');
const cycle = ['#1f77b4','#ff7f0e','#2ca02c','#9467bd','#8c564b','#17becf','#e377c2','#7f7f7f'];
const rates = Object.entries(data.rates);
if (rates.length) line('rate', rates.map(([t, pts], i) => ({label:t, data:pts, pointRadius:0, borderWidth:1.5,
  borderColor:cycle[i % cycle.length]})), 'events/s');
else note(document.getElementById('rate'), 'No events to count.');
const status = {alive:'#5bb85b', suspect:'#f0a500', dead:'#b3261e', closed:'#5bb85b', open:'#b3261e', half_open:'#f0a500', 'half-open':'#f0a500',
  'reference range':'rgba(31,119,180,0.55)', 'reference allows':'rgba(0,0,0,0.14)'};
for (const [id, spansOf, what] of [['detector', data.detector.concat(data.detector_envelope || []), 'detector'], ['breaker', data.breaker, 'circuit-breaker']]) {
  if (spansOf.length) gantt(id, [...new Set(spansOf.map(s => s.row))].sort(), spansOf, k => status[k] || '#555555', [shade]);
  else note(document.getElementById(id), `No ${what} events in this history.`);
}
if (data.client.latency.length) {
  const byType = {};
  for (const p of data.client.latency) (byType[p.type] = byType[p.type] || []).push({x:p.x, y:p.y, f:p.f});
  const c = {ok:'#2a7d2e', fail:'#b3261e', info:'#a66f00'};
  new Chart(document.getElementById('latency'), {type:'scatter', plugins:[shade],
    data:{datasets:Object.entries(byType).map(([t, d]) => ({label:t, data:d, pointRadius:2, backgroundColor:c[t] || '#555555'}))},
    options:{animation:false, maintainAspectRatio:false, parsing:false,
      scales:{x:xAxis(), y:{type:'logarithmic', title:{display:true, text:'latency (ms), invoke → completion'}}},
      plugins:{tooltip:{callbacks:{label:c => `${c.raw.f} ${c.dataset.label} ${c.raw.y.toFixed(2)} ms at ${c.raw.x.toFixed(3)}s`}}}}});
  drawn++;
  line('throughput', [{label:'ok ops/s', data:data.client.throughput, pointRadius:0, borderColor:'#2a7d2e'},
                      {label:'fail+info ops/s', data:data.client.failures, pointRadius:0, borderColor:'#b3261e'}], 'completed ops/s');
} else {
  note(document.getElementById('latency'), 'No client operations in this history.');
  document.getElementById('throughput').parentElement.remove();
}
if (data.availability && document.getElementById('availability')) {
  const av = data.availability;
  // Recovery intervals: hatched amber when within the bound, red when not.
  const marks = {id:'recoveryMarks', beforeDatasetsDraw(chart) {
    const {ctx, chartArea, scales} = chart;
    ctx.save();
    for (const r of av.recoveries) {
      const x0 = Math.max(scales.x.getPixelForValue(r.start), chartArea.left);
      const x1 = Math.min(scales.x.getPixelForValue(Math.max(r.end, r.start + end / 500)), chartArea.right);
      if (x1 <= x0) continue;
      ctx.fillStyle = r.valid === false ? '#b3261e55' : '#f0a50055';
      ctx.fillRect(x0, chartArea.bottom - 14, x1 - x0, 14);
      ctx.fillStyle = '#222'; ctx.font = '11px sans-serif';
      ctx.fillText(r.id + (r.recovered ? ` ${(r.end - r.start).toFixed(1)}s` : ' not recovered'), x0 + 2, chartArea.bottom - 18);
    }
    ctx.restore();
  }};
  const sets = [{label:'success rate (ok / all, by invoke time)', data:av.rate, pointRadius:0, borderWidth:1.5, borderColor:'#2a7d2e'}];
  if (typeof av.bound === 'number')
    sets.push({label:'steady-state bound', data:[{x:0, y:av.bound}, {x:end, y:av.bound}], pointRadius:0, borderWidth:1,
               borderDash:[6, 4], borderColor:'#b3261e'});
  new Chart(document.getElementById('availability'), {type:'line', plugins:[shade, marks], data:{datasets:sets},
    options:{animation:false, maintainAspectRatio:false, parsing:false,
      scales:{x:xAxis(), y:{type:'linear', min:0, max:1.05, title:{display:true, text:'success rate'}}}}});
  drawn++;
}
const tl = document.getElementById('timeline');
if (tl) { const r = tl.getBoundingClientRect();
  root.setAttribute('data-timeline-rect', [r.left + scrollX, r.top + scrollY, r.width, r.height].map(Math.round).join(',')); }
root.setAttribute('data-fault-bars', String(faultBars));
root.setAttribute('data-charts', String(drawn));
document.title += ' [rendered]';
})();
)JS";

}  // namespace faultline::controller::report
