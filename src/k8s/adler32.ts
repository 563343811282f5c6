// Adler-32 (RFC 1950 8.2): the checksum a zlib stream names its preset dictionary by.
export function adler32(b: Uint8Array): number {
  let a = 1;
  let s = 0;
  for (let i = 0; i < b.length;) {
    // 5552 is the most bytes before the sums can overflow 2^32 (RFC 1950's NMAX).
    const end = Math.min(b.length, i + 5552);
    for (; i < end; i++) {
      a += b[i];
      s += a;
    }
    a %= 65521;
    s %= 65521;
  }
  return ((s << 16) | a) >>> 0;
}
