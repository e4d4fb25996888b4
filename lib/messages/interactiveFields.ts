import * as z from '../platform/schema';
import { ValidationError } from '../platform/errors';

/**
 * Fields every interactive message shares, with the limits of Infobip's WhatsApp API
 * (published specification v3.210.0): `InteractiveBodyContent.text` 1–1024,
 * `InteractiveFooterContent.text` 1–60, a TEXT header's `text` 1–60. Each refusal names the
 * limit, so an agent's menu that is too long is told, not truncated.
 */
export const INTERACTIVE_TEXT_MAX = 1024;
export const INTERACTIVE_FOOTER_MAX = 60;
export const INTERACTIVE_HEADER_TEXT_MAX = 60;

export const boundedText = (max: number, what: string) =>
  z.string(`must be a string: ${what}`).check(
    z.minLength(1, `must not be empty: ${what}`),
    z.maxLength(max, `must be at most ${max} characters (WhatsApp's limit for ${what})`),
    z.refine((value) => value.trim() !== '', `must not be blank: ${what}`),
  );

export const interactiveFields = {
  text: boundedText(INTERACTIVE_TEXT_MAX, 'the message body'),
  footer: z.optional(boundedText(INTERACTIVE_FOOTER_MAX, 'the footer')),
};

export const textHeaderSchema = z.strictObject({
  type: z.literal('TEXT'),
  text: boundedText(INTERACTIVE_HEADER_TEXT_MAX, 'a header text'),
});

/** Refuses the first id that repeats, naming it and where both are: `path(i)` says where item i lives. */
export function refuseDuplicateIds(ids: readonly string[], path: (index: number) => string, what: string): void {
  const first = new Map<string, number>();
  ids.forEach((id, index) => {
    const earlier = first.get(id);
    if (earlier !== undefined) {
      throw new ValidationError('Request body failed validation', [
        {
          path: path(index),
          message: `duplicate ${what} id "${id}" (also at ${path(earlier)}): each ${what} needs its own id, so that the customer's choice says which one it was`,
        },
      ]);
    }
    first.set(id, index);
  });
}
