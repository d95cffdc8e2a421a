"""The style of the report pages (the office's report, the city view): one inline stylesheet,
for the screen and for print on A4 (tables never cut mid-row, their heads repeated on each
sheet, the links to the data files left out of the paper)."""

from __future__ import annotations

STYLE = """
body { font-family: system-ui, "Segoe UI", Roboto, Arial, sans-serif; margin: 1.5rem;
       color: #222; max-width: 1180px; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 2px solid #999; }
h3 { font-size: 1.05rem; margin-top: 1.6rem; }
.period, .note { color: #555; margin-top: 0; }
.note { font-size: .85rem; max-width: 60rem; }
.summary { display: grid; grid-template-columns: repeat(auto-fill, minmax(11.5rem, 1fr));
           gap: .6rem; }
.summary div { border: 1px solid #ccc; border-radius: 6px; padding: .45rem .8rem;
               font-size: .85rem; color: #444; }
.summary b { display: block; font-size: 1.3rem; color: #222; }
table { border-collapse: collapse; margin: .8rem 0; font-size: .85rem; }
/* A table wider than the window (long field names, durations in words) scrolls in its own box
   instead of pushing the page past the window's edge. */
.table-box { overflow-x: auto; max-width: 100%; }
th, td { border: 1px solid #ccc; padding: .25rem .45rem; text-align: right; }
td { white-space: nowrap; }
th:first-child, td:first-child, th.name, td.name { text-align: left; }
thead th { background: #f2f2f2; text-align: center; }
tfoot td { font-weight: bold; background: #fafafa; }
td.small, .small { color: #8a4b00; }
.links { font-size: .85rem; margin: .2rem 0 .6rem; }
.links a { margin-right: .9rem; }
.charts { display: flex; flex-wrap: wrap; gap: .5rem 2rem; align-items: flex-start; }
figure { margin: .4rem 0; }
figcaption { font-size: .85rem; color: #444; margin-bottom: .2rem; }
svg { max-width: 100%; height: auto; }
@page { size: A4; margin: 12mm; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  table { font-size: 7.5pt; }
  th, td { padding: 1px 3px; }
  td { white-space: normal; }
  td.name { white-space: nowrap; }
  .links, nav { display: none; }
  h2, h3, figcaption { break-after: avoid; }
  tr, figure, .summary div { break-inside: avoid; }
  thead { display: table-header-group; }
  /* The total once, after the last row: a footer group would repeat it under each sheet's
     part of the table, where it reads as the total of that part. */
  tfoot { display: table-row-group; }
  .table-box { overflow: visible; }
}
"""
