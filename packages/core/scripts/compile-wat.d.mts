/** The binary module for a WebAssembly text source (SIMD enabled). */
export function compileWat(source: string): Promise<Uint8Array>;
