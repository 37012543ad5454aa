/**
 * The embind classes of the @cornerstonejs codec packages (OpenJPH, OpenJPEG, CharLS, libjpeg-turbo).
 * Buffers returned by get*Buffer are views into WASM memory: copy out before the next call, and
 * `delete()` every instance.
 */
export interface CodecFrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned: boolean;
  /** Required by the embind value object even where a codec ignores it (OpenJPH reads it). */
  isUsingColorTransform: boolean;
}

export interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  getFrameInfo(): CodecFrameInfo;
  delete(): void;
  getIsReversible?(): boolean;
  getInterleaveMode?(): number;
  getNearLossless?(): number;
  getColorSpace?(): number;
}

export interface WasmEncoder {
  getDecodedBuffer(frameInfo: CodecFrameInfo): Uint8Array;
  getEncodedBuffer(): Uint8Array;
  encode(): void;
  delete(): void;
  setQuality?(...args: (number | boolean)[]): void;
  setProgressionOrder?(order: number): void;
  setDecompositions?(count: number): void;
  setCompressionRatio?(layer: number, ratio: number): void;
  setTLMMarker?(on: boolean): void;
  setTilePartDivisionsAtResolutions?(on: boolean): void;
  setNearLossless?(near: number): void;
  setInterleaveMode?(mode: number): void;
  setProgressive?(on: number): void;
  setSubSampling?(mode: number): void;
}

export interface WasmCodecModule {
  [className: string]: unknown;
}

export type EmscriptenCodecFactory = (options?: Record<string, unknown>) => Promise<WasmCodecModule>;
