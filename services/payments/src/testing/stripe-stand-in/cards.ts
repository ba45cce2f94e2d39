/** What a saved test card looks like, by the test token it was saved from. */
export const TEST_CARDS: Record<string, { brand: string; last4: string }> = {
  pm_card_visa: { brand: 'visa', last4: '4242' },
  pm_card_mastercard: { brand: 'mastercard', last4: '4444' },
  pm_card_chargeDeclined: { brand: 'visa', last4: '0002' },
  pm_card_chargeDeclinedInsufficientFunds: { brand: 'visa', last4: '9995' },
  pm_card_authenticationRequired: { brand: 'visa', last4: '3184' },
};

/** How a test payment method behaves when charged. */
export function cardOutcome(
  paymentMethod: string,
):
  | { kind: 'succeeded'; type: string }
  | { kind: 'processing'; type: string }
  | { kind: 'declined'; code: string; declineCode?: string; message: string } {
  switch (paymentMethod) {
    case 'pm_card_chargeDeclined':
      return {
        kind: 'declined',
        code: 'card_declined',
        declineCode: 'generic_decline',
        message: 'Your card was declined.',
      };
    case 'pm_card_chargeDeclinedInsufficientFunds':
      return {
        kind: 'declined',
        code: 'card_declined',
        declineCode: 'insufficient_funds',
        message: 'Your card has insufficient funds.',
      };
    case 'pm_card_authenticationRequired':
      return {
        kind: 'declined',
        code: 'authentication_required',
        declineCode: 'authentication_required',
        message: 'Your card was declined. This transaction requires authentication.',
      };
    case 'pm_usBankAccount':
      return { kind: 'processing', type: 'us_bank_account' };
    default:
      return { kind: 'succeeded', type: paymentMethod.startsWith('pm_alipay') ? 'alipay' : 'card' };
  }
}
