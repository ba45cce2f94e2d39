import {
  emptyRecentWindow,
  recentAdd,
  recentGet,
  recentHas,
  recentSize,
  RECENT_WINDOW_CHUNK_SIZE,
  type RecentWindow,
} from './recent-window.js';

const addAll = (window: RecentWindow<number>, count: number, from = 0): RecentWindow<number> => {
  let current = window;
  for (let i = from; i < from + count; i += 1) current = recentAdd(current, `id-${i}`, i);
  return current;
};

describe('recent id window', () => {
  it('given ids added, then it remembers at least the last `capacity` of them with their values', () => {
    const window = addAll(emptyRecentWindow<number>(100), 1000);

    for (let i = 900; i < 1000; i += 1) expect(recentGet(window, `id-${i}`)).toBe(i);
  });

  it('given many more ids than its capacity, then it forgets the oldest and stays bounded', () => {
    const window = addAll(emptyRecentWindow<number>(100), 10_000);

    expect(recentHas(window, 'id-0')).toBe(false);
    expect(recentSize(window)).toBeLessThanOrEqual(100 + 2 * RECENT_WINDOW_CHUNK_SIZE);
  });

  it('given a window, when an id is added, then the original window is unchanged (it is persistent)', () => {
    const before = addAll(emptyRecentWindow<number>(100), 10);
    const after = recentAdd(before, 'new', 1);

    expect(recentHas(before, 'new')).toBe(false);
    expect(recentHas(after, 'new')).toBe(true);
    expect(recentSize(before)).toBe(10);
  });

  it('given a capacity that is not a positive integer, then it throws', () => {
    expect(() => emptyRecentWindow(0)).toThrow(RangeError);
  });
});
