/**
 * Everything XML 1.0 forbids in a document (its `Char` production): C0 controls
 * other than tab, newline and carriage return, lone surrogates, U+FFFE and
 * U+FFFF. No escape can carry them (`&#1;` is just as ill-formed), so they are
 * removed; OCR does not produce them, but a PDF text layer can.
 */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** `text` without the characters XML 1.0 forbids. */
export function stripNonXmlChars(text: string): string {
  return text.replace(NOT_XML_CHAR, '');
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/**
 * `text` safe as element content and as an attribute value in either quote
 * style: markup characters escaped, forbidden characters removed. Tab, newline
 * and carriage return become character references, because a parser turns them
 * into spaces in an attribute value otherwise.
 */
export function escapeXml(text: string): string {
  return stripNonXmlChars(text)
    .replace(/[&<>"']/g, (c) => ENTITIES[c])
    .replace(/[\t\n\r]/g, (c) => `&#${c.charCodeAt(0)};`);
}
