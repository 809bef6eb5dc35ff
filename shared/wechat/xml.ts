/**
 * Hardened XML for WeChat pushes and replies.
 *
 * Every push body comes from the open internet, so parsing is defensive: a byte limit before
 * anything else, no DTDs at all (no entity bombs, no external entities), a strict well-formedness
 * check (fast-xml-parser on its own is lenient), and only the five XML built-in entities plus
 * numeric character references are decoded — by us, never by the parser.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { XmlError } from './xml-error';

export { XmlError, type XmlFailure } from './xml-error';

export type XmlValue = string | XmlFields;
export interface XmlFields {
  [name: string]: XmlValue;
}

/** Real pushes are a few KiB; 64 KiB leaves ample room while bounding parser work. */
export const MAX_XML_BYTES = 64 * 1024;

// '#' cannot start an XML name, so these keys can never collide with a real element.
const TEXT_KEY = '#text';
const CDATA_KEY = '#cdata';
const ATTRIBUTES_KEY = ':@';

const parser = new XMLParser({
  preserveOrder: true, // keeps text and CDATA pieces in document order
  cdataPropName: CDATA_KEY,
  textNodeName: TEXT_KEY,
  parseTagValue: false, // "0123" and 19-digit MsgIds must stay exact strings
  parseAttributeValue: false,
  processEntities: false, // we decode the five built-ins ourselves
  htmlEntities: false,
  trimValues: false,
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

/**
 * Parses a WeChat XML document whose root is `<xml>` and returns the root's children.
 * Leaf values are strings (CDATA unwrapped verbatim, plain text trimmed and entity-decoded);
 * elements with child elements become nested objects. When a name repeats, the first wins.
 */
export function parseXml(xml: string, opts: { maxBytes?: number } = {}): XmlFields {
  if (typeof xml !== 'string') throw new XmlError('malformed', 'XML input must be a string');
  const maxBytes = opts.maxBytes ?? MAX_XML_BYTES;
  // UTF-8 never uses fewer bytes than UTF-16 code units, so the cheap length test is a safe shortcut.
  if (xml.length > maxBytes || Buffer.byteLength(xml, 'utf8') > maxBytes) {
    throw new XmlError('too_large', `XML exceeds ${maxBytes} bytes`);
  }

  const declaration = findMarkupDeclaration(xml);
  if (declaration === 'dtd') throw new XmlError('doctype', 'DOCTYPE/ENTITY declarations are not allowed');
  if (declaration === 'other') throw new XmlError('malformed', 'unexpected <! markup');

  const validation = XMLValidator.validate(xml);
  if (validation !== true) {
    throw new XmlError('malformed', `malformed XML: ${validation.err.msg} (line ${validation.err.line})`);
  }

  let document: unknown;
  try {
    document = parser.parse(xml);
  } catch (error) {
    throw new XmlError('malformed', `malformed XML: ${(error as Error).message}`);
  }

  const roots = Array.isArray(document) ? document.filter(isElementNode) : [];
  const root = roots[0];
  if (roots.length !== 1 || root === undefined || elementName(root) !== 'xml') {
    throw new XmlError('malformed', 'expected exactly one <xml> root element');
  }
  const value = toValue(elementChildren(root));
  return typeof value === 'string' ? {} : value;
}

/** The non-empty string leaf `name`, or XmlError('missing_field'). */
export function requireString(fields: XmlFields, name: string): string {
  const value = Object.hasOwn(fields, name) ? fields[name] : undefined;
  if (typeof value !== 'string' || value === '') {
    throw new XmlError('missing_field', `missing XML field <${name}>`, name);
  }
  return value;
}

/**
 * Builds `<xml>…</xml>` in WeChat's style: strings as CDATA, numbers bare, objects nested.
 * Key order is preserved.
 */
export function buildXml(fields: Record<string, string | number | XmlFields>): string {
  return `<xml>${buildChildren(fields)}</xml>`;
}

function buildChildren(fields: Record<string, string | number | XmlFields>): string {
  let out = '';
  for (const [name, value] of Object.entries(fields)) {
    if (!XML_NAME.test(name)) throw new TypeError(`invalid XML element name: ${JSON.stringify(name)}`);
    out += `<${name}>${buildValue(name, value)}</${name}>`;
  }
  return out;
}

function buildValue(name: string, value: string | number | XmlFields): string {
  if (typeof value === 'string') return cdata(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`XML element <${name}> must be a finite number`);
    return String(value);
  }
  return buildChildren(value);
}

/** CDATA cannot contain "]]>", so split it across two sections. */
function cdata(text: string): string {
  return `<![CDATA[${text.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}

// Conservative: ASCII names only, which is all WeChat ever uses.
const XML_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * Looks for `<!` markup other than comments and CDATA, skipping over the places where `<!` is
 * only text (comments, CDATA, processing instructions, quoted attribute values), so a chat
 * message that merely mentions "<!DOCTYPE" inside CDATA is not refused.
 */
function findMarkupDeclaration(xml: string): 'dtd' | 'other' | undefined {
  let i = xml.indexOf('<');
  while (i !== -1) {
    let end: number;
    if (xml.startsWith('<!--', i)) end = indexAfter(xml, '-->', i + 4);
    else if (xml.startsWith('<![CDATA[', i)) end = indexAfter(xml, ']]>', i + 9);
    else if (xml.startsWith('<!', i)) return DTD_DECLARATION.test(xml.slice(i, i + 12)) ? 'dtd' : 'other';
    else if (xml.startsWith('<?', i)) end = indexAfter(xml, '?>', i + 2);
    else end = endOfTag(xml, i + 1);
    // Unterminated constructs are left for the validator to report as malformed.
    if (end === -1) return undefined;
    i = xml.indexOf('<', end);
  }
  return undefined;
}

const DTD_DECLARATION = /^<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)/i;

function indexAfter(xml: string, terminator: string, from: number): number {
  const at = xml.indexOf(terminator, from);
  return at === -1 ? -1 : at + terminator.length;
}

function endOfTag(xml: string, from: number): number {
  let quote: string | undefined;
  for (let i = from; i < xml.length; i++) {
    const ch = xml[i];
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === '>') {
      return i + 1;
    }
  }
  return -1;
}

// --- fast-xml-parser preserveOrder output → XmlFields ---

type OrderedNode = Record<string, unknown>;

function isElementNode(node: unknown): node is OrderedNode {
  return typeof node === 'object' && node !== null && elementName(node as OrderedNode) !== undefined;
}

function elementName(node: OrderedNode): string | undefined {
  for (const key of Object.keys(node)) {
    if (key !== TEXT_KEY && key !== CDATA_KEY && key !== ATTRIBUTES_KEY) return key;
  }
  return undefined;
}

function elementChildren(node: OrderedNode): unknown[] {
  const name = elementName(node);
  const children = name === undefined ? undefined : node[name];
  return Array.isArray(children) ? children : [];
}

/** An element's content: nested fields if it has child elements, else its text. */
function toValue(children: unknown[]): XmlValue {
  const elements = children.filter(isElementNode);
  if (elements.length > 0) {
    const fields: XmlFields = {};
    for (const child of elements) {
      const name = elementName(child);
      if (name === undefined || Object.hasOwn(fields, name)) continue;
      if (name === '__proto__') throw new XmlError('malformed', 'reserved element name');
      fields[name] = toValue(elementChildren(child));
    }
    return fields;
  }
  return leafText(children);
}

function leafText(children: unknown[]): string {
  const pieces: { text: string; isCdata: boolean }[] = [];
  for (const child of children) {
    if (typeof child !== 'object' || child === null) continue;
    const node = child as OrderedNode;
    if (typeof node[TEXT_KEY] === 'string') {
      pieces.push({ text: decodeEntities(node[TEXT_KEY]), isCdata: false });
    } else if (Array.isArray(node[CDATA_KEY])) {
      for (const part of node[CDATA_KEY] as OrderedNode[]) {
        const text = part[TEXT_KEY];
        pieces.push({ text: typeof text === 'string' ? text : '', isCdata: true });
      }
    }
  }
  if (!pieces.some((piece) => piece.isCdata)) return pieces.map((piece) => piece.text).join('').trim();
  // CDATA is verbatim; whitespace between it and the tags is layout, not content.
  return pieces
    .filter((piece) => piece.isCdata || piece.text.trim() !== '')
    .map((piece) => piece.text)
    .join('');
}

const ENTITY = /&(lt|gt|amp|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);/g;
const BUILT_IN_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Decodes the five XML built-ins and numeric character references; anything else stays literal. */
function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(ENTITY, (match, entity: string) => {
    const builtIn = BUILT_IN_ENTITIES[entity];
    if (builtIn !== undefined) return builtIn;
    const codePoint = entity.startsWith('#x') ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10);
    const valid = codePoint > 0 && codePoint <= 0x10ffff && !(codePoint >= 0xd800 && codePoint <= 0xdfff);
    return valid ? String.fromCodePoint(codePoint) : match;
  });
}
