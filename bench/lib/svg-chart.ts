/**
 * A dependency-free SVG line chart: log-scale x (rate) and y (latency),
 * one polyline per series, with axis ticks at powers of ten and a legend.
 */
export interface Series { name: string; color: string; dashed?: boolean; points: Array<{ x: number; y: number }> }

const width = 720;
const height = 440;
const margin = { left: 70, right: 200, top: 40, bottom: 50 };

function logScale(min: number, max: number, from: number, to: number): (v: number) => number {
  const lo = Math.log10(min);
  const hi = Math.log10(max);
  return (v) => from + ((Math.log10(v) - lo) / (hi - lo || 1)) * (to - from);
}

function decades(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) ticks.push(10 ** e);
  return ticks;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function lineChartSvg(title: string, xLabel: string, yLabel: string, series: Series[]): string {
  const points = series.flatMap((s) => s.points).filter((p) => p.x > 0 && p.y > 0);
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const xTicks = decades(Math.min(...xs), Math.max(...xs));
  const yTicks = decades(Math.min(...ys), Math.max(...ys));
  const x = logScale(xTicks[0]!, xTicks[xTicks.length - 1]!, margin.left, width - margin.right);
  const y = logScale(yTicks[0]!, yTicks[yTicks.length - 1]!, height - margin.bottom, margin.top);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${margin.left}" y="22" font-size="15" font-weight="bold">${escape(title)}</text>`,
  ];
  for (const t of xTicks) {
    out.push(`<line x1="${x(t)}" y1="${margin.top}" x2="${x(t)}" y2="${height - margin.bottom}" stroke="#ddd"/>`);
    out.push(`<text x="${x(t)}" y="${height - margin.bottom + 16}" text-anchor="middle">${t >= 1000 ? `${t / 1000}k` : t}</text>`);
  }
  for (const t of yTicks) {
    out.push(`<line x1="${margin.left}" y1="${y(t)}" x2="${width - margin.right}" y2="${y(t)}" stroke="#ddd"/>`);
    out.push(`<text x="${margin.left - 6}" y="${y(t) + 4}" text-anchor="end">${t}</text>`);
  }
  out.push(`<text x="${(margin.left + width - margin.right) / 2}" y="${height - 12}" text-anchor="middle">${escape(xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${(margin.top + height - margin.bottom) / 2}) rotate(-90)" text-anchor="middle">${escape(yLabel)}</text>`);
  series.forEach((s, i) => {
    const valid = s.points.filter((p) => p.x > 0 && p.y > 0);
    const path = valid.map((p) => `${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join(' ');
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    out.push(`<polyline points="${path}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`);
    for (const p of valid) out.push(`<circle cx="${x(p.x).toFixed(1)}" cy="${y(p.y).toFixed(1)}" r="3" fill="${s.color}"/>`);
    const ly = margin.top + 10 + i * 20;
    out.push(`<line x1="${width - margin.right + 12}" y1="${ly}" x2="${width - margin.right + 40}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${width - margin.right + 46}" y="${ly + 4}">${escape(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
