// WebAssembly text → binary with wabt (a development dependency), SIMD enabled.
import wabtModule from 'wabt';

/** The binary module for a .wat source. */
export async function compileWat(source) {
  const wabt = await wabtModule();
  const parsed = wabt.parseWat('count-bytes.wat', source, { simd: true });
  try {
    parsed.validate();
    return new Uint8Array(parsed.toBinary({}).buffer);
  } finally {
    parsed.destroy();
  }
}
