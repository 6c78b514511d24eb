/**
 * Shopify's `Body (HTML)` as plain text, for the work queue's preview and for suggestions.
 * htmlparser2 (a forgiving, streaming HTML tokenizer) reads the markup, so broken or hostile HTML
 * cannot confuse a regular expression: text is kept, entities are decoded, the contents of
 * script, style and similar elements are dropped, block elements and <br> separate words, and
 * whitespace is collapsed. The result is cut to PRODUCT_LIMITS.description characters (code
 * points, as PostgreSQL counts them) at a word boundary where one is near, with an ellipsis.
 */
import { Parser } from 'htmlparser2';
import { PRODUCT_LIMITS } from '@tag-manager/contract';

/** Elements whose content is not text a reader sees. */
const HIDDEN = new Set([
  'script',
  'style',
  'template',
  'noscript',
  'iframe',
  'object',
  'svg',
  'math',
  'head',
  'title',
  'select',
  'textarea',
]);

/** Elements that end a line: their text never runs into the next element's. */
const BLOCK = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'br',
  'dd',
  'div',
  'dl',
  'dt',
  'figcaption',
  'figure',
  'footer',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'header',
  'hr',
  'li',
  'main',
  'nav',
  'ol',
  'p',
  'pre',
  'section',
  'table',
  'tbody',
  'td',
  'th',
  'thead',
  'tr',
  'ul',
]);

// eslint-disable-next-line no-control-regex -- control characters are what is removed
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

export function descriptionText(
  html: string | null | undefined,
  maxLength: number = PRODUCT_LIMITS.description,
): string | null {
  if (!html) return null;
  const parts: string[] = [];
  let hiddenDepth = 0;
  const parser = new Parser(
    {
      onopentagname(name) {
        if (HIDDEN.has(name)) hiddenDepth += 1;
        else if (BLOCK.has(name)) parts.push(' ');
      },
      onclosetag(name, isImplied) {
        if (HIDDEN.has(name)) hiddenDepth = Math.max(0, hiddenDepth - 1);
        else if (BLOCK.has(name) && !isImplied) parts.push(' ');
      },
      ontext(text) {
        if (hiddenDepth === 0) parts.push(text);
      },
    },
    { decodeEntities: true, lowerCaseTags: true, recognizeSelfClosing: true },
  );
  parser.write(html);
  parser.end();
  const text = parts
    .join('')
    .replace(CONTROL, ' ')
    // Non-breaking and other Unicode spaces count as whitespace (\s covers them).
    .replace(/\s+/g, ' ')
    .trim();
  if (!text) return null;
  return cut(text, maxLength);
}

/** At most `maxLength` code points, cut at a word boundary in the last fifth when there is one. */
function cut(text: string, maxLength: number): string {
  const points = Array.from(text);
  if (points.length <= maxLength) return text;
  const kept = points.slice(0, maxLength - 1).join('');
  const space = kept.lastIndexOf(' ');
  const head = space >= kept.length * 0.8 ? kept.slice(0, space) : kept;
  return `${head.trimEnd()}…`;
}
