/**
 * The centre's only stylesheet, served from the app (`/privacy/assets/centre.css`): readable
 * at phone width, colours with WCAG AA contrast, a focus ring on everything that takes focus.
 */
export const CENTRE_CSS = `
*,*::before,*::after{box-sizing:border-box}
html{font-size:100%;-webkit-text-size-adjust:100%}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;line-height:1.5;color:#1a1a1a;background:#f6f7f9}
a{color:#0b4fa8}
a:hover{color:#083a7a}
:focus-visible{outline:3px solid #c2410c;outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem 1rem;z-index:10}
.skip:focus{left:.5rem;top:.5rem}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.top{background:#12355b;color:#fff;padding:.75rem 0}
.top a{color:#fff}
.top :focus-visible{outline-color:#ffd166}
.bar{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:center;gap:.5rem;max-width:60rem;margin:0 auto;padding:0 1rem}
.brand{margin:0;font-weight:600}
.lang{margin:0}
.nav{list-style:none;display:flex;flex-wrap:wrap;gap:.25rem 1rem;padding:0 1rem;margin:.5rem auto 0;max-width:60rem}
.nav a{display:inline-block;padding:.35rem 0;text-decoration:none;border-bottom:3px solid transparent}
.nav a[aria-current="page"]{border-bottom-color:#ffd166;font-weight:600}
main{display:block;max-width:60rem;margin:0 auto;padding:1rem}
main:focus{outline:none}
h1{font-size:1.6rem;margin:.5rem 0 1rem}
h2{font-size:1.2rem;margin:1.25rem 0 .5rem}
.lead{font-size:1.05rem}
.cards{list-style:none;padding:0;margin:0;display:grid;gap:1rem;grid-template-columns:repeat(auto-fill,minmax(18rem,1fr))}
.card{background:#fff;border:1px solid #c9ced6;border-radius:.5rem;padding:1rem}
.card h2{margin-top:0}
dl{margin:.5rem 0;display:grid;gap:.25rem}
dl div{display:grid;grid-template-columns:minmax(7rem,40%) 1fr;gap:.5rem}
dt{font-weight:600;color:#333}
dd{margin:0}
.status{padding:.25rem .5rem;border-radius:.25rem;background:#eef1f5;display:inline-block}
.status-granted{background:#e3f4e8}
.status-revoked,.status-expired,.status-stale{background:#fdeceb}
button,.button{font:inherit;font-weight:600;padding:.6rem 1rem;min-height:44px;border-radius:.375rem;border:2px solid #12355b;cursor:pointer;display:inline-block;text-decoration:none}
button.primary,.button{background:#12355b;color:#fff}
button.secondary{background:#fff;color:#12355b}
button:hover{filter:brightness(1.1)}
.note{padding:.75rem 1rem;border-radius:.375rem;border-left:4px solid #1b7a3a;background:#e3f4e8}
.note.warn{border-left-color:#b3261e;background:#fdeceb}
.note.info{border-left-color:#0b4fa8;background:#e8f0fb}
.hint{color:#444}
fieldset{border:1px solid #c9ced6;border-radius:.375rem;padding:.75rem 1rem;margin:0 0 1rem;background:#fff}
legend{font-weight:600;padding:0 .25rem}
.choice{display:flex;align-items:center;gap:.5rem;padding:.3rem 0}
.choice input{width:1.25rem;height:1.25rem;margin:0}
.table{overflow-x:auto;background:#fff;border:1px solid #c9ced6;border-radius:.375rem}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.5rem .75rem;border-bottom:1px solid #e2e5ea;vertical-align:top;overflow-wrap:break-word}
thead th{background:#eef1f5}
.problems{padding-left:1.25rem}
footer{max-width:60rem;margin:0 auto;padding:1rem}
@media (max-width:30rem){h1{font-size:1.35rem}dl div{grid-template-columns:1fr;gap:0}main{padding:.75rem}
table,tbody,tr,th,td{display:block}
thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
tr{border-bottom:2px solid #c9ced6;padding:.25rem 0}
th,td{border-bottom:none;padding:.2rem .75rem}
td[data-label]::before{content:attr(data-label) ": ";font-weight:600}}
`;
