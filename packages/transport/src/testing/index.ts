// The contract suites run under vitest, which a project using them installs itself (as a
// devDependency). It is deliberately not a peer dependency: package managers resolve optional
// peers into production installs (`pnpm deploy --prod`), which would ship vitest, vite and
// esbuild in every runtime image.

export { waitUntil } from './contract/helpers.js';
export * from './contract/index.js';
export * from './services.js';
