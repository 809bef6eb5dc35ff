import { describe, expect, it } from 'vitest';
import { MAX_XML_BYTES, XmlError, buildXml, parseXml, requireString } from '../../../shared/wechat/xml';
import type { XmlFailure } from '../../../shared/wechat/xml';

function expectXmlError(action: () => unknown, reason: XmlFailure, field?: string): void {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(XmlError);
  expect((caught as XmlError).reason).toBe(reason);
  if (field !== undefined) expect((caught as XmlError).field).toBe(field);
}

describe('parseXml', () => {
  it('parses a WeChat push: CDATA unwrapped, bare values kept as exact strings', () => {
    const xml = `<xml>
      <ToUserName><![CDATA[gh_97417a04a28d]]></ToUserName>
      <FromUserName><![CDATA[o9AgO5Kd5ggOC-bXrbNODIiE3bGY]]></FromUserName>
      <CreateTime>1714112445</CreateTime>
      <MsgType><![CDATA[text]]></MsgType>
      <Content><![CDATA[  hello <b>&amp; 中文 😀  ]]></Content>
      <MsgId>23456789012345678901</MsgId>
      <Code>0123</Code>
      <Hex>0x1F</Hex>
      <Exp>1e3</Exp>
    </xml>`;
    expect(parseXml(xml)).toEqual({
      ToUserName: 'gh_97417a04a28d',
      FromUserName: 'o9AgO5Kd5ggOC-bXrbNODIiE3bGY',
      CreateTime: '1714112445',
      MsgType: 'text',
      Content: '  hello <b>&amp; 中文 😀  ',
      MsgId: '23456789012345678901',
      Code: '0123',
      Hex: '0x1F',
      Exp: '1e3',
    });
  });

  it('parses nested elements into nested fields', () => {
    const xml =
      '<xml><AppId><![CDATA[wx1]]></AppId><info><name><![CDATA[n]]></name><code>007</code><deep><x>1</x></deep></info></xml>';
    expect(parseXml(xml)).toEqual({ AppId: 'wx1', info: { name: 'n', code: '007', deep: { x: '1' } } });
  });

  it('accepts an XML declaration, comments, attributes and empty elements', () => {
    const xml = '<?xml version="1.0" encoding="utf-8"?>\n<!-- hi --><xml><A kind="x">1</A><B/><C></C></xml>\n';
    expect(parseXml(xml)).toEqual({ A: '1', B: '', C: '' });
  });

  it('decodes the five built-in entities and character references in plain text only', () => {
    const xml = '<xml><T> &lt;&gt;&amp;&quot;&apos;&#65;&#x4E2D; </T><C><![CDATA[&lt;&amp;]]></C><U>&nbsp;&foo;</U></xml>';
    expect(parseXml(xml)).toEqual({ T: `<>&"'A中`, C: '&lt;&amp;', U: '&nbsp;&foo;' });
  });

  it('keeps the first of repeated elements', () => {
    expect(parseXml('<xml><A>1</A><A>2</A></xml>')).toEqual({ A: '1' });
  });

  it('keeps a literal "<!DOCTYPE" inside CDATA (a user may send that text)', () => {
    expect(parseXml('<xml><Content><![CDATA[<!DOCTYPE html><!ENTITY x>]]></Content></xml>')).toEqual({
      Content: '<!DOCTYPE html><!ENTITY x>',
    });
  });

  it('rejects DOCTYPE and entity declarations, including entity bombs', () => {
    const lol = '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>';
    const xxe = '<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>';
    for (const xml of [
      `${lol}<xml><a>&lol2;</a></xml>`,
      `<?xml version="1.0"?>${xxe}<xml><a>&xxe;</a></xml>`,
      '<!doctype xml><xml/>',
      '<xml><a>1</a><!DOCTYPE x [<!ENTITY e "E">]></xml>',
      '<xml><!ENTITY e "E"><a>&e;</a></xml>',
      // CDATA opened inside a comment must not hide what follows the comment.
      '<!-- <![CDATA[ --><!DOCTYPE x [<!ENTITY e "E">]><xml><a>]]>&e;</a></xml>',
      // Nor one opened inside an attribute value.
      '<xml><a b="<![CDATA[">x</a><!DOCTYPE x [<!ENTITY e "E">]><c>]]></c></xml>',
    ]) {
      expectXmlError(() => parseXml(xml), 'doctype');
    }
  });

  it('counts the size limit in UTF-8 bytes, before parsing', () => {
    const fits = `<xml><a>${'x'.repeat(82)}</a></xml>`;
    expect(Buffer.byteLength(fits)).toBe(100);
    expect(parseXml(fits, { maxBytes: 100 }).a).toHaveLength(82);
    expectXmlError(() => parseXml(`<xml><a>${'x'.repeat(83)}</a></xml>`, { maxBytes: 100 }), 'too_large');
    // 30 Chinese characters are 30 UTF-16 units (48 in all, under the limit) but 90 bytes.
    expectXmlError(() => parseXml(`<xml><a>${'中'.repeat(30)}</a></xml>`, { maxBytes: 100 }), 'too_large');
    // Oversize wins over every other problem: nothing is parsed.
    expectXmlError(() => parseXml(`<!DOCTYPE x><xml>${' '.repeat(MAX_XML_BYTES)}</xml>`), 'too_large');
  });

  it('accepts up to MAX_XML_BYTES by default', () => {
    const padding = 'x'.repeat(MAX_XML_BYTES - '<xml><a></a></xml>'.length);
    expect(parseXml(`<xml><a>${padding}</a></xml>`).a).toBe(padding);
    expectXmlError(() => parseXml(`<xml><a>${padding}x</a></xml>`), 'too_large');
  });

  it('rejects malformed documents with a typed error', () => {
    for (const xml of [
      '',
      'success',
      '<xml>',
      '<xml><a>1</b></xml>',
      '<xml><a>x & y</a></xml>',
      '<xml><a>x < y</a></xml>',
      '<xml><![CDATA[unterminated</xml>',
      '<xml><a>1</a></xml><xml/>',
      '<root><a>1</a></root>',
      '<xml><__proto__><polluted>1</polluted></__proto__></xml>',
      '<xml><constructor>1</constructor></xml>',
      `<xml>${'<a>'.repeat(200)}x${'</a>'.repeat(200)}</xml>`, // nesting beyond the parser's limit
      '<xml><!FOO></xml>',
    ]) {
      expectXmlError(() => parseXml(xml), 'malformed');
    }
    expectXmlError(() => parseXml(undefined as unknown as string), 'malformed');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('requireString', () => {
  const fields = parseXml('<xml><A>1</A><Empty></Empty><Nested><B>2</B></Nested></xml>');

  it('returns a present leaf', () => {
    expect(requireString(fields, 'A')).toBe('1');
  });

  it('names the field that is absent, empty or not a leaf', () => {
    expectXmlError(() => requireString(fields, 'Missing'), 'missing_field', 'Missing');
    expectXmlError(() => requireString(fields, 'Empty'), 'missing_field', 'Empty');
    expectXmlError(() => requireString(fields, 'Nested'), 'missing_field', 'Nested');
    expectXmlError(() => requireString(fields, 'toString'), 'missing_field', 'toString');
  });
});

describe('buildXml', () => {
  it('writes strings as CDATA and numbers bare, in key order', () => {
    expect(buildXml({ ToUserName: 'o123', CreateTime: 1714112445, MsgType: 'text' })).toBe(
      '<xml><ToUserName><![CDATA[o123]]></ToUserName><CreateTime>1714112445</CreateTime><MsgType><![CDATA[text]]></MsgType></xml>',
    );
  });

  it('round-trips through parseXml, including "]]>", markup, whitespace and nesting', () => {
    const fields = {
      Content: 'a]]>b]]]]>c <!DOCTYPE x> &amp; <tag/> 中文 😀',
      Spaces: '  padded\n',
      Empty: '',
      Zero: '0123',
      Big: '12345678901234567890',
      Info: { Name: 'n', Inner: { Deep: 'x]]>' } },
    };
    expect(parseXml(buildXml({ ...fields, Count: 42 }))).toEqual({ ...fields, Count: '42' });
  });

  it('refuses names and numbers that would produce broken XML', () => {
    expect(() => buildXml({ 'a><b': 'x' })).toThrow(TypeError);
    expect(() => buildXml({ '': 'x' })).toThrow(TypeError);
    expect(() => buildXml({ N: Number.NaN })).toThrow(TypeError);
  });
});
