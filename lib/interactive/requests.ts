import * as z from '../platform/schema';
import { freeFormFields } from '../outbound/send';
import type { InteractiveHeaderOut, MessageOf } from '../outbound/message';
import { boundedText, interactiveFields, refuseDuplicateIds, textHeaderSchema } from '../messages/interactiveFields';
import { CONTENT_TYPE_MAX, FILE_NAME_MAX } from '../media/limits';
import { headerUrlSchema } from '../media/headerFile';
import { mediaIdSchema } from '../media/sendStored';

/**
 * Reply buttons and the link button (Infobip's WhatsApp API, published specification
 * v3.210.0): `InteractiveButtonsContent`, 1–3 buttons of type REPLY with `id` 1–256 and
 * `title` 1–20; `InteractiveUrlButtonContent`, `displayText` 1–20 and `url` ≤ 2048. Both take
 * a TEXT header or an IMAGE, VIDEO or DOCUMENT one (`mediaUrl`, a document's `filename`
 * ≤ 240): a URL Infobip fetches, the file itself, parked and served like a media send's, or
 * an upload's `mediaId` (POST /imchannel/media), checked and served like a media send's upload.
 */
export const BUTTONS_MAX = 3;
export const BUTTON_ID_MAX = 256;
export const BUTTON_TITLE_MAX = 20;
export const DISPLAY_TEXT_MAX = 20;
export const URL_MAX = 2048;

const fetchableUrl = headerUrlSchema;

/**
 * An IMAGE, VIDEO or DOCUMENT header (`InteractiveButtonsImageHeaderContent`, `…VideoHeaderContent`,
 * `…DocumentHeaderContent`, and the `InteractiveUrlButton…HeaderContent` alike): exactly one of
 * `url`, `content` or `mediaId`. Their documented sizes (image 5 MB, video 16 MB, document
 * 100 MB) are the upload kinds' limits, so an upload that a media send takes heads a menu too.
 */
const mediaHeader = <T extends 'IMAGE' | 'VIDEO' | 'DOCUMENT'>(type: T) =>
  z.strictObject({
    type: z.literal(type),
    url: z.optional(fetchableUrl),
    content: z.optional(z.string().check(z.minLength(1, 'must not be empty'))),
    contentType: z.optional(z.string().check(z.minLength(1), z.maxLength(CONTENT_TYPE_MAX))),
    fileName: z.optional(boundedText(FILE_NAME_MAX, "a document's file name")),
    mediaId: z.optional(mediaIdSchema),
  });

export const interactiveHeaderSchema = z.discriminatedUnion(
  'type',
  [textHeaderSchema, mediaHeader('IMAGE'), mediaHeader('VIDEO'), mediaHeader('DOCUMENT')],
  { error: () => 'must be {type: "TEXT", text}, or {type: "IMAGE" | "VIDEO" | "DOCUMENT"} with url, content or mediaId' },
);
export type InteractiveHeader = z.infer<typeof interactiveHeaderSchema>;

export const buttonsSendSchema = z.object({
  ...freeFormFields,
  ...interactiveFields,
  buttons: z
    .array(
      z.strictObject({
        id: boundedText(BUTTON_ID_MAX, "a button's id (it comes back as the customer's choice)"),
        title: boundedText(BUTTON_TITLE_MAX, "a button's title"),
      }),
      'must be an array of buttons, each {id, title}',
    )
    .check(
      z.minLength(1, 'must hold at least one button'),
      z.maxLength(
        BUTTONS_MAX,
        `must hold at most ${BUTTONS_MAX} buttons (WhatsApp's limit for reply buttons); use a list for more`,
      ),
    ),
  header: z.optional(interactiveHeaderSchema),
});
export type ButtonsSend = z.infer<typeof buttonsSendSchema>;

export const urlButtonSendSchema = z.object({
  ...freeFormFields,
  ...interactiveFields,
  displayText: boundedText(DISPLAY_TEXT_MAX, "the button's label"),
  url: z.string().check(
    z.maxLength(URL_MAX, `must be at most ${URL_MAX} characters (WhatsApp's limit)`),
    z.refine(
      (value) => URL.canParse(value) && new URL(value).protocol === 'https:' && new URL(value).hostname !== '',
      'must be an absolute https URL: the customer opens it',
    ),
  ),
  header: z.optional(interactiveHeaderSchema),
});
export type UrlButtonSend = z.infer<typeof urlButtonSendSchema>;

export function checkButtons(body: ButtonsSend): void {
  refuseDuplicateIds(
    body.buttons.map((button) => button.id),
    (index) => `buttons.${index}.id`,
    'button',
  );
}

/** Where Infobip fetches a header's own file (parked, or an upload) and, for an upload, the name it was uploaded with. */
export interface HeaderFileOut {
  mediaUrl: string;
  fileName?: string;
}

/** The header as the transports take it. */
function headerOut(header: InteractiveHeader | undefined, file: HeaderFileOut | undefined): InteractiveHeaderOut | undefined {
  if (header === undefined || header.type === 'TEXT') return header;
  const url = file?.mediaUrl ?? (header.url as string);
  const fileName = file?.fileName ?? header.fileName;
  if (header.type === 'DOCUMENT') return { type: 'DOCUMENT', url, ...(fileName === undefined ? {} : { fileName }) };
  return { type: header.type, url };
}

const optionalParts = (header: InteractiveHeaderOut | undefined, footer: string | undefined) => ({
  ...(header === undefined ? {} : { header }),
  ...(footer === undefined ? {} : { footer }),
});

export const buttonsMessage = (body: ButtonsSend, file?: HeaderFileOut): MessageOf<'buttons'> => ({
  kind: 'buttons',
  text: body.text,
  buttons: body.buttons,
  ...optionalParts(headerOut(body.header, file), body.footer),
});

export const urlButtonMessage = (body: UrlButtonSend, file?: HeaderFileOut): MessageOf<'urlButton'> => ({
  kind: 'urlButton',
  text: body.text,
  displayText: body.displayText,
  url: body.url,
  ...optionalParts(headerOut(body.header, file), body.footer),
});
