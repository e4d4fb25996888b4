/**
 * Interactive messages (`POST /whatsapp/1/message/interactive/{buttons|list|url-button}`):
 * `InteractiveButtonsMessage`, `InteractiveListMessage` and `InteractiveUrlButtonMessage` of
 * Infobip's published OpenAPI specification (v3.210.0), `infobip-whatsapp-openapi.json`, with
 * the rules its descriptions give only in prose (marked below), which Infobip enforces too.
 */
import { envelope, interactiveBody, interactiveFooter, mediaHeader } from './messages';
import { arr, byType, obj, str } from './schema';

export const INTERACTIVE = {
  /** `InteractiveButtonsContent`: 1–3 `InteractiveReplyButtonContent` (the only `type`: REPLY). */
  buttons: envelope(
    obj(
      {
        body: interactiveBody,
        action: obj({ buttons: arr(byType({ REPLY: obj({ id: str(1, 256), title: str(1, 20) }, ['id', 'title']) }), 1, 3) }, [
          'buttons',
        ]),
        header: mediaHeader,
        footer: interactiveFooter,
      },
      ['action', 'body'],
    ),
    true,
  ),
  /** `InteractiveListContent`: the header is TEXT only (`InteractiveListHeaderContent`). */
  list: envelope(
    obj(
      {
        body: interactiveBody,
        action: obj(
          {
            title: str(1, 20),
            sections: arr(
              obj(
                {
                  title: str(0, 24),
                  rows: arr(obj({ id: str(1, 200), title: str(1, 24), description: str(0, 72) }, ['id', 'title'])),
                },
                ['rows'],
              ),
              1,
              10,
            ),
          },
          ['sections', 'title'],
        ),
        header: byType({ TEXT: obj({ text: str(1, 60) }, ['text']) }),
        footer: interactiveFooter,
      },
      ['action', 'body'],
    ),
    true,
  ),
  /** `InteractiveUrlButtonContent`. */
  'url-button': envelope(
    obj(
      {
        body: interactiveBody,
        action: obj({ displayText: str(1, 20), url: str(1, 2048) }, ['displayText', 'url']),
        header: mediaHeader,
        footer: interactiveFooter,
      },
      ['action', 'body'],
    ),
    true,
  ),
} as const;

export type InteractiveKind = keyof typeof INTERACTIVE;

/** One choice of an interactive message, as the customer's tap sends it back. */
export interface Choice {
  id: string;
  title: string;
  description?: string;
}

interface Row {
  id: string;
  title: string;
  description?: string;
}
interface ListBody {
  content: { action: { sections: { title?: string; rows: Row[] }[] } };
}
interface ButtonsBody {
  content: { action: { buttons: { id: string; title: string }[] } };
}

const ROWS_MAX = 10;

/**
 * The list rules `InteractiveListActionContent` states in prose only: a section title is
 * needed when there is more than one section, every section has at least one row, the
 * message at most ten rows in all, and row ids are unique within the message.
 */
export function listProse(body: Record<string, unknown>, add: (field: string, message: string) => void): void {
  const { sections } = (body as unknown as ListBody).content.action;
  let rows = 0;
  const ids = new Set<string>();
  sections.forEach((section, i) => {
    const at = `content.action.sections[${i}]`;
    if (sections.length > 1 && (section.title === undefined || section.title === null || section.title === '')) {
      add(`${at}.title`, 'must not be blank when there is more than one section');
    }
    if (section.rows.length === 0) add(`${at}.rows`, 'size must be between 1 and 10');
    section.rows.forEach((row, j) => {
      rows += 1;
      if (ids.has(row.id)) add(`${at}.rows[${j}].id`, 'must be unique within the message');
      ids.add(row.id);
    });
  });
  if (rows > ROWS_MAX) add('content.action.sections', `must hold at most ${ROWS_MAX} rows in all`);
}

/** The ids a customer can tap in an accepted interactive message (none for url-button). */
export function choicesOf(kind: InteractiveKind, body: unknown): Choice[] {
  if (kind === 'buttons') {
    return (body as ButtonsBody).content.action.buttons.map(({ id, title }) => ({ id, title }));
  }
  if (kind === 'list') {
    return (body as ListBody).content.action.sections.flatMap((s) =>
      s.rows.map(({ id, title, description }) => ({ id, title, ...(description ? { description } : {}) })),
    );
  }
  return [];
}

/**
 * The reply-button rules `InteractiveReplyButtonContent` states in prose only: an id is
 * "unique" and has "no leading nor trailing whitespaces", a title is "unique".
 */
export function buttonsProse(body: Record<string, unknown>, add: (field: string, message: string) => void): void {
  const ids = new Set<string>();
  const titles = new Set<string>();
  (body as unknown as ButtonsBody).content.action.buttons.forEach((b, i) => {
    const at = `content.action.buttons[${i}]`;
    if (b.id.trim() !== b.id) add(`${at}.id`, 'must not have leading or trailing whitespace');
    if (ids.has(b.id)) add(`${at}.id`, 'must be unique within the message');
    if (titles.has(b.title)) add(`${at}.title`, 'must be unique within the message');
    ids.add(b.id);
    titles.add(b.title);
  });
}
