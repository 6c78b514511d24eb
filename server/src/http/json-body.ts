/**
 * The JSON body parser: Fastify's own (prototype poisoning refused), behind a count of the
 * body's object members for routes whose body is an object.
 *
 * Every object body of this API has a handful of known fields and rejects unknown ones, yet a
 * 1 MiB body can hold 96,000 keys, and `JSON.parse` alone spends 40–80 ms building that object
 * (V8 turns it into a hash table) before validation can say "not a known field". Counting `:`
 * outside strings is one pass over the text (a few ms per MiB) and is exactly the number of
 * object members of any valid JSON text; past the limit the body cannot be valid, so it is
 * refused unparsed. Bodies that are not objects (the category import's array) are not counted.
 */
import type { FastifyInstance } from 'fastify';
import { validationError } from '../errors.js';

/** More object members (at any depth) than any object body of the API needs by far. */
export const MAX_JSON_OBJECT_MEMBERS = 1000;

/** Whether `text` holds more than `limit` object members (`:` outside strings). */
export function exceedsObjectMembers(text: string, limit: number): boolean {
  let inString = false;
  let members = 0;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === 0x5c)
        index += 1; // a backslash escapes the next character
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) {
      inString = true;
    } else if (code === 0x3a && ++members > limit) {
      return true;
    }
  }
  return false;
}

export function installJsonBodyParser(app: FastifyInstance) {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const schema = request.routeOptions.schema?.body as { type?: unknown } | undefined;
    if (
      schema?.type === 'object' &&
      exceedsObjectMembers(body as string, MAX_JSON_OBJECT_MEMBERS)
    ) {
      done(
        validationError([
          {
            field: 'body',
            message: `has more than ${MAX_JSON_OBJECT_MEMBERS} object members`,
          },
        ]),
        undefined,
      );
      return;
    }
    parseJson(request, body as string, done);
  });
}
