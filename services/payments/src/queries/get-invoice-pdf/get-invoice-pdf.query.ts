import { Query } from '@nestjs/cqrs';

export interface InvoicePdf {
  readonly number: string;
  readonly pdf: Buffer;
}

/** `GET /v1/accounts/{accountId}/invoices/{invoiceId}/pdf`; undefined for another account's. */
export class GetInvoicePdfQuery extends Query<InvoicePdf | undefined> {
  constructor(
    readonly accountId: string,
    readonly invoiceId: string,
  ) {
    super();
  }
}
