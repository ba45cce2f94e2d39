import { describe, expect, it } from '@jest/globals';
import { SseDecoder, sseEvent } from './sse.js';

describe('SseDecoder', () => {
  it('yields each event once complete, however the bytes are split', () => {
    const wire = Buffer.from(
      'data: {"a":1}\n\ndata: {"b":"é"}\r\n\r\n: keep-alive\n\ndata: [DONE]\n\n',
    );
    for (let size = 1; size <= wire.length; size++) {
      const decoder = new SseDecoder();
      const events: string[] = [];
      for (let i = 0; i < wire.length; i += size)
        events.push(...decoder.push(wire.subarray(i, i + size)));
      events.push(...decoder.end());
      expect(events).toEqual(['{"a":1}', '{"b":"é"}', '[DONE]']);
    }
  });

  it('joins multi-line data, ignores other fields, and keeps an event the stream did not close', () => {
    const decoder = new SseDecoder();
    expect(decoder.push('event: x\nid: 1\ndata: one\ndata:two\n\ndata: last')).toEqual([
      'one\ntwo',
    ]);
    expect(decoder.end()).toEqual(['last']);
  });

  it('writes events the way it reads them', () => {
    expect(new SseDecoder().push(sseEvent('{"x":1}'))).toEqual(['{"x":1}']);
  });
});
