#!/usr/bin/env node
/**
 * The entry point, and the only module with side effects at import: it loads `.env`, runs the
 * command line and turns the outcome into an exit code.
 */
import dotenv from 'dotenv';
import { runCli } from './cli.js';

dotenv.config({ quiet: true });

process.exitCode = await runCli(process.argv);
