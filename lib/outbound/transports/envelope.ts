/** What every send carries around its message, whichever API takes it. */
export interface Envelope {
  /** The customer: digits of their number, or their business-scoped user id. */
  to: string;
  /** `to` is a business-scoped user id (BSUID) rather than a number. */
  businessScoped: boolean;
  messageId?: string;
  callbackData?: string;
  /** Where Infobip posts this message's reports, with its token. */
  notifyUrl?: string;
  /** The WhatsApp id of the customer's message this one quotes. */
  replyTo?: string;
}
