import { wroteOneRow, type Queryable } from '@billing/service-kit';

/** `stripe_events`: each Stripe event id applied once, recorded with the effect it had. */
export class StripeEventRepository {
  constructor(private readonly schema: string) {}

  /** False when the event was already recorded (a redelivery): apply nothing. */
  async recordOnce(
    db: Queryable,
    e: {
      eventId: string;
      type: string;
      /** The top-up it is about; null for an event about a saved card. */
      topUpId: string | null;
      accountId?: string;
      outcome: string;
    },
  ): Promise<boolean> {
    return wroteOneRow(
      db,
      `INSERT INTO ${this.schema}.stripe_events (event_id, type, top_up_id, account_id, outcome)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING`,
      [e.eventId, e.type, e.topUpId, e.accountId ?? null, e.outcome],
    );
  }

  async setOutcome(db: Queryable, eventId: string, outcome: string): Promise<void> {
    await db.query(`UPDATE ${this.schema}.stripe_events SET outcome = $2 WHERE event_id = $1`, [
      eventId,
      outcome,
    ]);
  }
}
