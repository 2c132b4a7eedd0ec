import { densityPanel, figure, scatterPanel, ticks, withAxes, type Box } from '../../examples/svg.js';

describe('example figures', () => {
  const box: Box = { xMin: -4, xMax: 12, yMin: -8, yMax: 8 };

  it('ticks: about five round values, 1, 2 or 5 × 10^k apart, inside the range', () => {
    // range 16: 16/5 = 3.2 → step 5; range 5 → 1; range 0.3 → 0.06 → 0.1
    expect(ticks(-4, 12)).toEqual([0, 5, 10]);
    expect(ticks(-8, 8)).toEqual([-5, 0, 5]);
    expect(ticks(-2.5, 2.5)).toEqual([-2, -1, 0, 1, 2]);
    expect(ticks(0, 0.3)).toEqual([0, 0.1, 0.2, 0.3]);
  });

  it('scatter and density panels are drawn with axes: tick numbers on both and the axis names', () => {
    const svg = figure([
      scatterPanel('data', [0, 0, 5, 5], box),
      withAxes(densityPanel('density', [1, 2, 3, 4], 2, 2), box),
    ]);
    expect(svg.match(/<g class="axes">/g)).toHaveLength(2);
    // x ticks 0, 5, 10 and y ticks −5, 0, 5 in each panel: 6 tick lines and numbers per panel
    const axes = svg.split('<g class="axes">').slice(1);
    for (const a of axes) {
      expect(a.match(/<line /g)).toHaveLength(6);
      expect([...a.matchAll(/>(-?\d+)<\/text>/g)].map((m) => Number(m[1]))).toEqual([0, 5, 10, -5, 0, 5]);
      expect(a).toContain('>x₁</text>');
      expect(a).toContain('>x₂</text>');
    }
  });

  it('axis names can be given, as the conditional example does', () => {
    expect(figure([scatterPanel('y', [0, 0], box, '#000', ['y₁', 'y₂'])])).toContain('>y₂</text>');
  });
});
