/**
 * The `timetap-sync simulator` command: starts the simulator, prints how to connect to it (its
 * credentials are fake and printing them is the point), logs each call as "METHOD /path status"
 * (never a query string), and closes on SIGINT/SIGTERM.
 */
import { type Simulator, type SimulatorOptions, startSimulator } from './simulator.js';
import { DEFAULT_MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE, describeSwitches, resolveSwitches } from './switches.js';

/** The command's options: the simulator's, plus `paged` as the CLI's `--paged [pageSize]` gives it. */
export type SimulatorCommandOptions = SimulatorOptions & {
  port?: number;
  /** A default page size turns paged lists on; `true` (the flag without a value) means the default 25. */
  paged?: number | true;
};

export interface StandaloneHooks {
  /** Where the banner and the access log go. Default console.log. */
  out?: (line: string) => void;
  /** Install SIGINT/SIGTERM handlers that close the simulator and end the process. Default true. */
  handleSignals?: boolean;
}

export async function runSimulatorCommand(
  commandOptions: SimulatorCommandOptions,
  hooks: StandaloneHooks = {},
): Promise<Simulator> {
  const out = hooks.out ?? ((line: string) => console.log(line));
  const { paged, ...rest } = commandOptions;
  const pageSize = paged === true ? DEFAULT_PAGE_SIZE : paged;
  // The cap grows with a larger page size asked for on the command line, so that it is honoured.
  const options: SimulatorOptions =
    pageSize === undefined
      ? rest
      : {
          ...rest,
          listPaging: {
            mode: 'paged',
            defaultPageSize: pageSize,
            maxPageSize: Math.max(pageSize, DEFAULT_MAX_PAGE_SIZE),
          },
        };
  const simulator = await startSimulator({ ...options, quiet: options.quiet ?? false, log: out });
  out(`TimeTap simulator listening on ${simulator.url}`);
  out(`TIMETAP_BASE_URL=${simulator.url}`);
  out(`TIMETAP_API_KEY=${simulator.credentials.apiKey}`);
  out(`TIMETAP_PRIVATE_KEY=${simulator.credentials.privateKey}`);
  const { locations, staff, services } = simulator.data;
  out(`(${locations.size} locations, ${staff.size} staff, ${services.size} services; Ctrl-C to stop)`);
  // startSimulator has validated the options, so resolving them again cannot throw.
  out(describeSwitches(resolveSwitches(options)));

  if (hooks.handleSignals !== false) {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      out(`${signal}: stopping the simulator`);
      simulator.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  }
  return simulator;
}
