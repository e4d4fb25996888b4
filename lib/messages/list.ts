import * as z from '../platform/schema';
import { ValidationError } from '../platform/errors';
import { freeFormFields } from '../outbound/send';
import type { MessageOf } from '../outbound/message';
import { boundedText, interactiveFields, refuseDuplicateIds, textHeaderSchema } from './interactiveFields';
import { makeSimpleSendHandler, startSendRoute, type SendMessageDeps } from './text';

export const LIST_TAG = 'sendWhatsAppListMessage';

/**
 * A list menu (`InteractiveListContent` of Infobip's WhatsApp API, published specification
 * v3.210.0): the list button's label (`action.title` 1–20), 1–10 sections (a section's
 * `title` ≤ 24, required when there is more than one), rows with `id` 1–200 unique across the
 * message, `title` 1–24 and `description` ≤ 72, at most 10 rows in the whole message; an
 * optional TEXT header and footer. The row limit and the uniqueness are the spec's prose,
 * checked here so that the agent hears of it and not the customer.
 */
export const LIST_BUTTON_MAX = 20;
export const SECTIONS_MAX = 10;
export const SECTION_TITLE_MAX = 24;
export const ROWS_MAX = 10;
export const ROW_ID_MAX = 200;
export const ROW_TITLE_MAX = 24;
export const ROW_DESCRIPTION_MAX = 72;

const rowSchema = z.strictObject({
  id: boundedText(ROW_ID_MAX, "a row's id"),
  title: boundedText(ROW_TITLE_MAX, "a row's title"),
  description: z.optional(
    z
      .string()
      .check(
        z.maxLength(
          ROW_DESCRIPTION_MAX,
          `must be at most ${ROW_DESCRIPTION_MAX} characters (WhatsApp's limit for a row's description)`,
        ),
      ),
  ),
});

const sectionSchema = z.strictObject({
  title: z.optional(boundedText(SECTION_TITLE_MAX, "a section's title")),
  rows: z
    .array(rowSchema, 'must be an array of rows, each {id, title, description?}')
    .check(z.minLength(1, 'must hold at least one row: WhatsApp shows no empty section')),
});

export const listSendSchema = z.object({
  ...freeFormFields,
  ...interactiveFields,
  buttonText: boundedText(LIST_BUTTON_MAX, "the list button's label"),
  sections: z
    .array(sectionSchema, 'must be an array of sections, each {title, rows}')
    .check(
      z.minLength(1, 'must hold at least one section'),
      z.maxLength(SECTIONS_MAX, `must hold at most ${SECTIONS_MAX} sections (WhatsApp's limit)`),
    ),
  header: z.optional(textHeaderSchema),
});
export type ListSend = z.infer<typeof listSendSchema>;

/** What one schema cannot say: the rows of all sections together, their ids, the titles of several sections. */
export function checkList(body: ListSend): void {
  const rows = body.sections.flatMap((section, s) =>
    section.rows.map((row, r) => ({ id: row.id, at: `sections.${s}.rows.${r}` })),
  );
  if (rows.length > ROWS_MAX) {
    throw new ValidationError('Request body failed validation', [
      {
        path: 'sections',
        message: `must hold at most ${ROWS_MAX} rows in all (WhatsApp's limit for a whole list); it holds ${rows.length}`,
      },
    ]);
  }
  if (body.sections.length > 1) {
    const untitled = body.sections.findIndex((section) => section.title === undefined);
    if (untitled !== -1) {
      throw new ValidationError('Request body failed validation', [
        { path: `sections.${untitled}.title`, message: 'required when the list has more than one section' },
      ]);
    }
  }
  refuseDuplicateIds(
    rows.map((row) => row.id),
    (index) => `${rows[index]?.at ?? 'sections'}.id`,
    'row',
  );
}

export function listMessage(body: ListSend): MessageOf<'list'> {
  return {
    kind: 'list',
    text: body.text,
    buttonText: body.buttonText,
    sections: body.sections,
    ...(body.header === undefined ? {} : { header: body.header }),
    ...(body.footer === undefined ? {} : { footer: body.footer }),
  };
}

/** `POST /imchannel/sendWhatsAppListMessage`: a menu of rows behind one button; only the WhatsApp API carries it. */
export const makeSendListHandler = (deps: SendMessageDeps) =>
  makeSimpleSendHandler(deps, listSendSchema, 'list', undefined, listMessage, checkList);

/** Production wiring, once per cold start. */
export function startSendList() {
  return startSendRoute(LIST_TAG, makeSendListHandler);
}
