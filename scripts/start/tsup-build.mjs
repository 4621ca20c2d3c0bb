// Builds the package in the working directory with its tsup config, without declaration files
// and without cleaning dist/ first. Run by ensure-built.mjs, one child process per package.
import { build } from 'tsup';

await build({ dts: false, clean: false, silent: true });
