import { cp } from 'node:fs/promises';
import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // The web page's files are read at run time relative to the module (src/web/assets/ from the
  // sources, dist/assets/ from the bundle), so the build copies them beside dist/index.js.
  async onSuccess() {
    await cp('src/web/assets', 'dist/assets', { recursive: true });
  },
});
