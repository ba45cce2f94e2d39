import { EventEmitter } from 'node:events';
import { describe, expect, it } from '@jest/globals';
import type { NextFunction, Request, Response } from 'express';
import { HttpDrain, SHUTTING_DOWN } from './shutdown.js';

/** A response that records what was answered and can be closed like Node's. */
function response() {
  const res = new EventEmitter() as EventEmitter & {
    headers: Record<string, string>;
    statusCode?: number;
    body?: unknown;
    setHeader(name: string, value: string): void;
    status(code: number): unknown;
    json(body: unknown): void;
  };
  res.headers = {};
  res.setHeader = (name, value) => (res.headers[name] = value);
  res.status = (code) => {
    res.statusCode = code;
    return res;
  };
  res.json = (body) => (res.body = body);
  return res;
}

function request(drain: HttpDrain) {
  const res = response();
  let passed = false;
  drain.middleware(
    {} as Request,
    res as unknown as Response,
    (() => {
      passed = true;
    }) as NextFunction,
  );
  return { res, passed };
}

describe('HttpDrain', () => {
  it('lets requests through and counts them until their response closes', () => {
    const drain = new HttpDrain();
    const a = request(drain);
    const b = request(drain);
    expect([a.passed, b.passed, drain.active]).toEqual([true, true, 2]);
    a.res.emit('close');
    expect(drain.active).toBe(1);
  });

  it('refuses new requests once draining, with 503, Retry-After and Connection: close', async () => {
    const drain = new HttpDrain();
    await drain.drain(10);
    const late = request(drain);
    expect(late.passed).toBe(false);
    expect(late.res.statusCode).toBe(503);
    expect(late.res.headers).toEqual({ connection: 'close', 'retry-after': '1' });
    expect(late.res.body).toEqual({ error: { code: SHUTTING_DOWN, message: expect.any(String) } });
    expect(drain.active).toBe(0);
  });

  it('resolves as soon as the last request in flight finishes, answering 0', async () => {
    const drain = new HttpDrain();
    const a = request(drain);
    const started = Date.now();
    setTimeout(() => a.res.emit('close'), 50);
    expect(await drain.drain(5_000)).toBe(0);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('gives up after the grace period, answering how many were still in flight', async () => {
    const drain = new HttpDrain();
    request(drain);
    request(drain);
    expect(await drain.drain(30)).toBe(2);
  });

  it('answers in the shape it is given (the gateway: OpenAI errors)', async () => {
    const drain = new HttpDrain((res) =>
      res.status(503).json({ error: { code: 'shutting_down' } }),
    );
    await drain.drain(0);
    expect(request(drain).res.body).toEqual({ error: { code: 'shutting_down' } });
  });
});
