// The contract suites run under vitest, which a project using them installs itself (as a
// devDependency). It is deliberately not a peer dependency: package managers resolve optional
// peers into production installs (`pnpm deploy --prod`), which would ship vitest, vite and
// esbuild in every runtime image.
export * from './store-contract/blob-store-contract.js';
export * from './store-contract/dead-letter-store-contract.js';
export * from './store-contract/job-store-contract.js';
export * from './store-contract/message-store-contract.js';
