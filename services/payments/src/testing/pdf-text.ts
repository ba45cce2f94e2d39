import { inflateSync } from 'node:zlib';

/**
 * The text lines an invoice PDF shows, for tests: every content stream inflated, and each text
 * operation's hex strings (pdfkit writes the standard fonts' text as `[<hex> kerning <hex>] TJ`)
 * decoded and joined. Enough to assert what a customer reads on the invoice without a PDF parser.
 */
export function pdfTextLines(pdf: Buffer): string[] {
  const raw = pdf.toString('latin1');
  const lines: string[] = [];
  const streams = /stream\r?\n([\s\S]*?)\r?\nendstream/g;
  for (let match = streams.exec(raw); match !== null; match = streams.exec(raw)) {
    const body = Buffer.from(match[1] ?? '', 'latin1');
    let content: string;
    try {
      content = inflateSync(body).toString('latin1');
    } catch {
      continue; // Not a deflated content stream (an image, font data): no text in it.
    }
    for (const op of content.matchAll(/\[([^\]]*)\]\s*TJ/g)) {
      const hexes = [...(op[1] ?? '').matchAll(/<([0-9a-fA-F]*)>/g)].map((h) => h[1] ?? '');
      lines.push(hexes.map((hex) => Buffer.from(hex, 'hex').toString('latin1')).join(''));
    }
  }
  return lines;
}
