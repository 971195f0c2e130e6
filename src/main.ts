#!/usr/bin/env node
/**
 * The entry point, and the only module with side effects at import: it loads `.env`, sets what
 * SIGINT and SIGTERM mean for the process (signals.ts), runs the command line and turns the
 * outcome into an exit code.
 */
import dotenv from 'dotenv';
import { runCli } from './cli.js';
import { installSignalPolicy } from './signals.js';

dotenv.config({ quiet: true });
installSignalPolicy();

// One-shot commands end here; a handle some library left open must not keep the process alive.
// (`worker` and `simulator` return only when they are done.)
process.exit(await runCli(process.argv));
