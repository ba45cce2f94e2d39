import { barShares, daysBetween, fillDays } from './chart.js';

describe('barShares', () => {
  it('draws each amount against the largest, exactly where a float would not be asked', () => {
    expect(barShares(['0.000153', '0.000306', '0'])).toEqual([0.5, 1, 0]);
    expect(barShares(['1', '3'])).toEqual([0.3333, 1]);
  });

  it('draws nothing when nothing was spent, and no bar below zero', () => {
    expect(barShares(['0', '0'])).toEqual([0, 0]);
    expect(barShares(['-1', '2'])).toEqual([0, 1]);
    expect(barShares([])).toEqual([]);
  });
});

describe('days', () => {
  it('lists every UTC day of a range, both ends included, across a month end', () => {
    expect(daysBetween('2026-11-29', '2026-12-02')).toEqual([
      '2026-11-29',
      '2026-11-30',
      '2026-12-01',
      '2026-12-02',
    ]);
    expect(daysBetween('2026-12-02', '2026-12-01')).toEqual([]);
  });

  it('fills the days without usage with zero', () => {
    const filled = fillDays('2026-12-01', '2026-12-03', [{ day: '2026-12-02', cost: '0.5' }]);
    expect(filled.map((d) => [d.day, d.cost])).toEqual([
      ['2026-12-01', '0'],
      ['2026-12-02', '0.5'],
      ['2026-12-03', '0'],
    ]);
  });
});
