/**
 * Why a push's XML was refused. Apart from the parser (xml.ts) so the HTTP edge can map it to a
 * 4xx without bundling the parser into every function.
 */
export type XmlFailure = 'too_large' | 'doctype' | 'malformed' | 'missing_field';

export class XmlError extends Error {
  override readonly name = 'XmlError';
  readonly reason: XmlFailure;
  readonly field?: string;

  constructor(reason: XmlFailure, message: string, field?: string) {
    super(message);
    this.reason = reason;
    if (field !== undefined) this.field = field;
  }
}

