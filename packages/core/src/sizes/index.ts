export { formatBytes, parseByteSize } from './byte-size.js';
