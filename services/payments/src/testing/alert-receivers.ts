import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedWebhook {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly receivedAtMs: number;
  readonly answered: number;
}

/**
 * A customer's webhook endpoint on 127.0.0.1: records every request with its raw body and
 * answers the statuses it is told, in order (200 once they run out).
 */
export class WebhookReceiver {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly received: readonly ReceivedWebhook[],
    private readonly plans: Map<string, number[]>,
  ) {}

  static async start(): Promise<WebhookReceiver> {
    const received: ReceivedWebhook[] = [];
    const plans = new Map<string, number[]>();
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '/';
        const status = plans.get(path)?.shift() ?? 200;
        received.push({
          path,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          receivedAtMs: Date.now(),
          answered: status,
        });
        // 0: never answer (the sender's timeout must end the attempt).
        if (status === 0) return;
        res.writeHead(status, { 'content-type': 'text/plain' }).end(String(status));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new WebhookReceiver(server, `http://127.0.0.1:${port}`, received, plans);
  }

  /** The next requests to `path` are answered these statuses, in order (0: no answer at all). */
  answer(path: string, statuses: number[]): void {
    this.plans.set(path, [...statuses]);
  }

  to(path: string): ReceivedWebhook[] {
    return this.received.filter((r) => r.path === path);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export interface ReceivedMail {
  readonly from: string;
  readonly to: string[];
  /** The message as sent (headers and body, transfer-encoded). */
  readonly raw: string;
}

/** A local SMTP server (the `smtp-server` package) that keeps every message it is sent. */
export class SmtpSink {
  private constructor(
    private readonly server: SMTPServer,
    readonly url: string,
    readonly messages: readonly ReceivedMail[],
    private readonly refusals: { count: number },
  ) {}

  /** The next `count` messages are refused with a temporary failure (451) after their data. */
  refuseNext(count: number): void {
    this.refusals.count = count;
  }

  static async start(): Promise<SmtpSink> {
    const messages: ReceivedMail[] = [];
    const refusals = { count: 0 };
    const server = new SMTPServer({
      // Plain SMTP on loopback: no TLS to offer, no login to ask.
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          if (refusals.count > 0) {
            refusals.count -= 1;
            callback(
              Object.assign(new Error('mailbox busy, try again later'), { responseCode: 451 }),
            );
            return;
          }
          const envelope = session.envelope;
          messages.push({
            from: envelope.mailFrom === false ? '' : envelope.mailFrom.address,
            to: envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.server.address() as AddressInfo;
    return new SmtpSink(server, `smtp://127.0.0.1:${port}`, messages, refusals);
  }

  to(address: string): ReceivedMail[] {
    return this.messages.filter((m) => m.to.includes(address));
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A message's header value (unfolded) and its text body, quoted-printable decoded. */
export function readMail(raw: string): { header(name: string): string | undefined; text: string } {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const body = raw.slice(split + 4);
  const qp = /content-transfer-encoding:\s*quoted-printable/i.test(head);
  const text = qp
    ? Buffer.from(
        body
          .replace(/=\r\n/g, '')
          .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
        'latin1',
      ).toString('utf8')
    : body;
  return {
    header(name) {
      const line = head
        .split('\r\n')
        .find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
      return line?.slice(name.length + 1).trim();
    },
    text: text.replace(/\r\n/g, '\n').trimEnd(),
  };
}
