import { streamProgress } from './progress.js';

// The CLI's progress line: the count of its total when the operation knows it beforehand.

function capture(): { out: NodeJS.WriteStream; lines: string[] } {
  const lines: string[] = [];
  const out = {
    isTTY: false,
    write: (text: string) => lines.push(text),
  } as unknown as NodeJS.WriteStream;
  return { out, lines };
}

describe('streamProgress', () => {
  it('says "of" the total when it was given one, once a second on a pipe', () => {
    const { out, lines } = capture();
    let now = 0;
    const progress = streamProgress(out, () => now);
    progress.start('folding the event log', { events: 4_000, accounts: 12 });
    now = 500;
    progress.update(1_000); // within the second: not drawn
    now = 1_000;
    progress.update(2_000);
    now = 2_000;
    progress.done(4_000);
    expect(lines).toEqual([
      'folding the event log: 2,000 of 4,000 events, 1.0 s, 2,000 events/s\n',
      'folding the event log: 4,000 of 4,000 events, 2.0 s, 2,000 events/s\n',
    ]);
  });

  it('gives the count alone without a total', () => {
    const { out, lines } = capture();
    let now = 0;
    const progress = streamProgress(out, () => now);
    progress.start('replaying the event log');
    now = 2_000;
    progress.done(7);
    expect(lines).toEqual(['replaying the event log: 7 events, 2.0 s, 4 events/s\n']);
  });
});
