/**
 * The picture wxa/get_qrcode answers with: a real (if tiny) baseline JPEG, so clients that check
 * the content type or the JPEG magic bytes, or even decode it, are satisfied. It is an 8×8 grey
 * square: one block whose DC difference is 0 and whose AC coefficients are all zero.
 */

function segment(marker: number, payload: number[]): number[] {
  const length = payload.length + 2;
  return [0xff, marker, length >> 8, length & 0xff, ...payload];
}

/** A Huffman table holding one 1-bit code for symbol 0x00 (DC category 0 / AC end-of-block). */
function singleCodeHuffmanTable(tableClassAndId: number): number[] {
  const counts = [1, ...new Array<number>(15).fill(0)];
  return segment(0xc4, [tableClassAndId, ...counts, 0x00]);
}

function buildTinyJpeg(): Buffer {
  const bytes = [
    0xff, 0xd8, // SOI
    ...segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]), // APP0 JFIF
    ...segment(0xdb, [0x00, ...new Array<number>(64).fill(1)]), // DQT: table 0, all ones
    ...segment(0xc0, [0x08, 0x00, 0x08, 0x00, 0x08, 0x01, 0x01, 0x11, 0x00]), // SOF0: 8×8, one component
    ...singleCodeHuffmanTable(0x00), // DC table 0
    ...singleCodeHuffmanTable(0x10), // AC table 0
    ...segment(0xda, [0x01, 0x01, 0x00, 0x00, 0x3f, 0x00]), // SOS
    0x3f, // entropy data: DC '0', EOB '0', padded with 1-bits
    0xff, 0xd9, // EOI
  ];
  return Buffer.from(bytes);
}

export const QRCODE_JPEG: Buffer = buildTinyJpeg();
