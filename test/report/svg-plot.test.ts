import { describe, expect, it } from 'vitest';
import { niceTicks, svgPlot } from '../../src/report/svg-plot.js';
import { epochEvent as epoch } from '../support/epoch-event.js';

describe('SVG plot', () => {
  const svg = svgPlot([epoch(1, 0.7, 0.9, 0.91), epoch(2, 0.3, 0.95, 0.94), epoch(3, 0.2, 0.97, 0.96)], 'a <title> & more');
  it('is one well-formed SVG document with axes, labels and a legend', () => {
    expect(svg.startsWith('<?xml')).toBe(true);
    expect(svg.match(/<svg /g)).toHaveLength(1);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    for (const text of ['train accuracy', 'test accuracy', 'training loss', '>epoch<', '>accuracy<']) expect(svg).toContain(text);
    expect(svg).toContain('a &lt;title&gt; &amp; more');
    expect(svg.match(/<polyline /g)).toHaveLength(3);
    // Every tag that opens closes: a crude but real well-formedness check.
    const opened = (svg.match(/<(svg|g)[ >]/g) ?? []).length;
    const closed = (svg.match(/<\/(svg|g)>/g) ?? []).length;
    expect(opened).toBe(closed);
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
  });
  it('plots a single epoch without dividing by zero', () => {
    expect(svgPlot([epoch(1, 0.5, 0.9, 0.9)], 'one')).not.toMatch(/NaN|Infinity/);
  });
  it('picks round ticks', () => {
    expect(niceTicks(0.62, 0.97, 6)).toEqual([0.6, 0.7, 0.8, 0.9, 1]);
    expect(niceTicks(0, 17, 8)).toEqual([0, 5, 10, 15, 20]);
  });
});
