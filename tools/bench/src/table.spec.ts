import { describe, expect, it } from '@jest/globals';
import { median, medianInterval } from './table.js';

// The statistics the gateway bench reads the tracing aim against: a wrong interval would call a
// cost met, or missed, that the runs do not show.

describe('medianInterval', () => {
  it('is the value itself for runs that all agree', () => {
    expect(medianInterval([1.05, 1.05, 1.05, 1.05])).toEqual([1.05, 1.05]);
  });

  it('brackets the median of a spread sample, narrower than the sample, the same on every call', () => {
    const values = Array.from({ length: 61 }, (_, i) => 0.9 + i * 0.005); // 0.9 to 1.2
    const [low, high] = medianInterval(values);
    expect(low).toBeLessThanOrEqual(median(values));
    expect(high).toBeGreaterThanOrEqual(median(values));
    expect(low).toBeGreaterThan(0.95);
    expect(high).toBeLessThan(1.15);
    expect(medianInterval(values)).toEqual([low, high]);
  });

  it('is not moved by a few stalled runs, which move a mean', () => {
    const steady = Array.from({ length: 57 }, (_, i) => 1 + ((i % 5) - 2) * 0.01);
    const stalled = [...steady, 0.1, 3.3, 4.1];
    const [low, high] = medianInterval(stalled);
    expect(low).toBeGreaterThanOrEqual(0.98);
    expect(high).toBeLessThanOrEqual(1.02);
    const mean = stalled.reduce((a, b) => a + b, 0) / stalled.length;
    expect(mean).toBeGreaterThan(1.05);
  });
});
