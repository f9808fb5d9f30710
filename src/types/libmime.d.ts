// libmime ships no types; these are the functions we use (mailparser's own decoder).
declare module 'libmime' {
  interface LibMime {
    decodeWord(charset: string, encoding: string, text: string): string;
    decodeWords(str: string): string;
    encodeWord(data: string | Buffer, mimeWordEncoding?: 'Q' | 'B', maxLength?: number): string;
  }
  const libmime: LibMime;
  export default libmime;
}
