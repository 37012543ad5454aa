// Types of the codec packages we use, which ship none. Only what libs/imaging calls is declared.

declare module '@cornerstonejs/codec-openjph/wasmjs' {
  const factory: (options?: Record<string, unknown>) => Promise<Record<string, unknown>>;
  export default factory;
}
declare module '@cornerstonejs/codec-openjpeg/wasmjs' {
  const factory: (options?: Record<string, unknown>) => Promise<Record<string, unknown>>;
  export default factory;
}
declare module '@cornerstonejs/codec-charls/wasmjs' {
  const factory: (options?: Record<string, unknown>) => Promise<Record<string, unknown>>;
  export default factory;
}
declare module '@cornerstonejs/codec-libjpeg-turbo-8bit/wasmjs' {
  const factory: (options?: Record<string, unknown>) => Promise<Record<string, unknown>>;
  export default factory;
}

declare module 'jpeg-lossless-decoder-js' {
  export class Decoder {
    constructor(buffer?: ArrayBuffer | null, numBytes?: number);
    decode(buffer?: ArrayBuffer, offset?: number, length?: number, numBytes?: number): Uint8Array | Uint16Array;
  }
}
