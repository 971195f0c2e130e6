#!/usr/bin/env node
/**
 * The entry point, and the only module with side effects at import: it sizes the worker's heap
 * where node's command line did not (heap-settings.ts), loads `.env`, sets what SIGINT and
 * SIGTERM mean for the process (signals.ts), runs the command line and turns the outcome into an
 * exit code.
 */
import { applyRuntimeHeapFlags } from './heap-settings.js';

// Before anything else is loaded, which is why the rest is imported only now: loading the
// worker's modules alone would grow the young generation to its throughput-sized default.
applyRuntimeHeapFlags(process.argv, process.execArgv, process.env.NODE_OPTIONS);

const { default: dotenv } = await import('dotenv');
const { runCli } = await import('./cli.js');
const { installSignalPolicy } = await import('./signals.js');

dotenv.config({ quiet: true });
installSignalPolicy();

// One-shot commands end here; a handle some library left open must not keep the process alive.
// (`worker` and `simulator` return only when they are done.)
process.exit(await runCli(process.argv));
