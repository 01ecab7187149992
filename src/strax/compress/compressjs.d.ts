// Types for the one compressjs module daqflow uses (the package ships none).
declare module 'compressjs/lib/Bzip2.js' {
  interface InStream {
    readByte(): number;
    read?(buf: number[], offset: number, length: number): number;
    eof?(): boolean;
  }
  interface OutStream {
    writeByte(byte: number): void;
  }
  const Bzip2: {
    compressFile(input: Uint8Array | InStream, output?: Uint8Array | OutStream, blockSizeMultiplier?: number): Uint8Array;
    decompressFile(input: Uint8Array | InStream, output?: Uint8Array | OutStream | number, multistream?: boolean): Uint8Array;
  };
  export default Bzip2;
}
