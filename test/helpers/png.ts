/**
 * A real, decodable PNG of one colour, made in-process (IHDR, one IDAT, IEND): for uploads a
 * browser must show, of any size (a large one for the size limits: its rows are noise, which
 * does not compress).
 */
import { randomBytes } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** `width` × `height` RGB pixels: `rgb` everywhere, or random bytes (`noise`). */
export function pngImage(
  width: number,
  height: number,
  options: { rgb?: [number, number, number]; noise?: boolean } = {},
): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8 bits, RGB, deflate, no filter, no interlace
  const row = (): Buffer => {
    if (options.noise) return Buffer.concat([Buffer.from([0]), randomBytes(width * 3)]);
    const [r, g, b] = options.rgb ?? [40, 120, 200];
    const line = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) line.set([r, g, b], 1 + x * 3);
    return line;
  };
  const pixels = Buffer.concat(Array.from({ length: height }, row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(pixels)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
