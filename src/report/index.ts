// Reports: pure renderers from results to files people read (CSV, self-contained HTML with SVG charts).
export { escapeMarkup } from './escape.js';
export { lineChart, axisTicks, SERIES_COLOURS, type ChartPoint, type ChartSeries, type LineChartOptions } from './line-chart.js';
export { sweepCsv, csvField, SWEEP_CSV_COLUMNS, type SweepRow } from './sweep-rows.js';
export { sweepPage, sweepSeries, type SweepPageInput } from './sweep-page.js';
export { toJUnitXml } from './junit.js';
export { writeRunPage, loadRunPageModel, type RunPageModel } from './run-page.js';
export { renderRunPage } from './run-page-html.js';
export { pageOpening } from './page.js';
