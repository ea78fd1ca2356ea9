/**
 * The console's stylesheet and its one script, served from the app (`/console/assets/…`): the
 * Content-Security-Policy admits nothing else. The script only keeps the page live: on each
 * anomaly from the session's event stream it fetches the page again and swaps the panels in.
 * Without it the page is complete; reloading it shows the same numbers.
 */
export const CONSOLE_CSS = `
*,*::before,*::after{box-sizing:border-box}
html{font-size:100%;-webkit-text-size-adjust:100%}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;line-height:1.5;color:#1a1a1a;background:#f6f7f9}
a{color:#0b4fa8}
:focus-visible{outline:3px solid #c2410c;outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem 1rem;z-index:10}
.skip:focus{left:.5rem;top:.5rem}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.top{background:#12355b;color:#fff;padding:.5rem 0}
.top :focus-visible{outline-color:#ffd166}
.bar{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:center;gap:.5rem;max-width:80rem;margin:0 auto;padding:0 1rem}
.brand{margin:0;font-weight:600}
.who{display:flex;align-items:center;gap:.75rem;flex-wrap:wrap}
.who form{margin:0}
main{display:block;max-width:80rem;margin:0 auto;padding:1rem}
main:focus{outline:none}
h1{font-size:1.6rem;margin:.25rem 0 .75rem}
h2{font-size:1.15rem;margin:0 0 .25rem}
.panels{display:grid;gap:1rem;grid-template-columns:repeat(auto-fill,minmax(min(100%,30rem),1fr))}
.panel{background:#fff;border:1px solid #c9ced6;border-radius:.5rem;padding:1rem;min-width:0}
.summary{margin:0 0 .75rem;color:#333}
.chart{margin:.5rem 0}
.legend{list-style:none;display:flex;flex-wrap:wrap;gap:.25rem 1rem;padding:0;margin:0 0 .5rem;font-size:.9rem}
.legend li{display:flex;align-items:center;gap:.35rem}
.bar-row{display:grid;grid-template-columns:minmax(6rem,35%) 1fr 3.5rem;align-items:center;gap:.5rem;margin:.3rem 0;font-size:.95rem}
.bar-label{overflow-wrap:break-word;min-width:0}
svg.bar{width:100%;height:1.1rem;display:block}
.bar-value{text-align:right;font-variant-numeric:tabular-nums;font-weight:600}
.day-chart{display:grid;grid-template-columns:2rem 1fr;gap:.25rem;align-items:start}
.axis-max{font-size:.8rem;color:#444;text-align:right}
svg.days{width:100%;height:6rem;display:block}
.day-axis{display:flex;justify-content:space-between;font-size:.8rem;color:#444;margin-left:2.25rem}
.chart-title{font-size:.95rem;margin:.5rem 0 0;font-weight:600}
.empty{color:#444;font-style:italic}
details.numbers{margin-top:.5rem}
details.numbers summary{cursor:pointer;color:#0b4fa8;padding:.25rem 0}
.table{overflow-x:auto;max-width:100%;border:1px solid #c9ced6;border-radius:.375rem;margin-top:.25rem}
table{border-collapse:collapse;width:100%;font-size:.95rem}
th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #e2e5ea;white-space:nowrap}
thead th{background:#eef1f5}
td{font-variant-numeric:tabular-nums}
.range{display:flex;flex-wrap:wrap;align-items:flex-end;gap:.5rem 1rem;margin:0 0 .5rem}
.range p{margin:0;display:flex;flex-direction:column}
label{font-weight:600}
input{font:inherit;padding:.45rem .6rem;border:1px solid #6b7280;border-radius:.375rem;min-height:44px;background:#fff;color:#1a1a1a}
.sign-in{background:#fff;border:1px solid #c9ced6;border-radius:.5rem;padding:1rem;max-width:30rem}
.sign-in p{display:flex;flex-direction:column;gap:.25rem}
.hint{color:#444;font-weight:400}
button{font:inherit;font-weight:600;padding:.5rem 1rem;min-height:44px;border-radius:.375rem;border:2px solid #12355b;cursor:pointer}
button.primary{background:#12355b;color:#fff}
button.secondary{background:#fff;color:#12355b}
.live{color:#333;margin:.25rem 0 1rem}
.note{padding:.75rem 1rem;border-radius:.375rem;border-left:4px solid #0b4fa8;background:#e8f0fb}
.note.warn{border-left-color:#b3261e;background:#fdeceb}
.problems{padding-left:1.25rem}
@media (max-width:30rem){h1{font-size:1.35rem}main{padding:.75rem}.panels{grid-template-columns:1fr}
.bar-row{grid-template-columns:minmax(5rem,40%) 1fr 3rem}}
`;

export const CONSOLE_JS = `(function () {
  'use strict';
  var live = document.getElementById('live');
  if (!live || typeof EventSource === 'undefined' || !window.fetch) return;
  var busy = false;
  var again = false;
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    var url = new URL(location.href);
    url.searchParams.set('live', '1');
    fetch(url.toString(), { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (response) {
        if (response.redirected || !response.ok) { location.reload(); return null; }
        return response.text();
      })
      .then(function (html) {
        if (html === null) return;
        var next = new DOMParser().parseFromString(html, 'text/html').getElementById('panels');
        var current = document.getElementById('panels');
        if (!next || !current) return;
        var open = [];
        current.querySelectorAll('details[open] table').forEach(function (t) { open.push(t.getAttribute('data-table')); });
        current.replaceWith(document.importNode(next, true));
        open.forEach(function (id) {
          var t = document.querySelector('table[data-table="' + id + '"]');
          var d = t && t.closest('details');
          if (d) d.open = true;
        });
        live.textContent = 'Updated at ' + new Date().toLocaleTimeString() + ' after a new anomaly.';
      })
      .catch(function () { live.textContent = 'Could not refresh; reload the page.'; })
      .then(function () { busy = false; if (again) { again = false; refresh(); } });
  }
  var events = new EventSource('/console/events');
  events.addEventListener('anomaly', refresh);
  events.addEventListener('open', function () {
    document.documentElement.setAttribute('data-live', 'on');
  });
  events.addEventListener('error', function () {
    if (events.readyState === EventSource.CLOSED) live.textContent = 'Live updates stopped; reload the page.';
  });
})();
`;
