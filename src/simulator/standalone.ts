/**
 * The `timetap-sync simulator` command: starts the simulator (the demo's account unless options
 * shape another), prints how to connect to it as `export` lines a shell takes as they are (its
 * credentials are fake and printing them is the point), logs each call as "METHOD /path status"
 * (never a query string) and each webhook delivered, and closes on SIGINT/SIGTERM.
 */
import { formatDay, parseDay, todayUtc } from './dates.js';
import { DEMO_ACCOUNT, hireWithoutServices, SHAPE_OPTIONS } from './demo-account.js';
import { type Simulator, type SimulatorOptions, startSimulator } from './simulator.js';
import { DEFAULT_MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE, describeSwitches, resolveSwitches } from './switches.js';
import { ALL_VARIANTS, describeVariants, type Variants } from './variants.js';
import { describeWebhookUrl, type WebhookFormat } from './webhooks.js';

/**
 * The command's options: the simulator's, plus the CLI's flat spellings: `--paged [pageSize]`,
 * `--webhook-url URL [--webhook-format F]` and `--live-changes MS`.
 */
export type SimulatorCommandOptions = SimulatorOptions & {
  port?: number;
  /** A default page size turns paged lists on; `true` (the flag without a value) means the default 25. */
  paged?: number | true;
  webhookUrl?: string;
  /** Needs webhookUrl. Default json. */
  webhookFormat?: WebhookFormat;
  /** Milliseconds between two changes the account makes by itself (each one a webhook). */
  liveChanges?: number;
  /** Days of appointments before today (default a year); 0: none before today. */
  historyDays?: number;
} & VariantFlags;

/**
 * The variants' flags (variants.ts), flat as the command line spells them: `--all-variants`
 * first, then each flag given. `--no-report-with-count` is `reportWithCount: false`;
 * `--status-default OPEN,PENDING` a comma-separated list; `--report-page-cap N` the report's page cap.
 */
export interface VariantFlags {
  allVariants?: boolean;
  reportOrder?: Variants['reportOrder'];
  reportWithCount?: Variants['reportWithCount'] | false;
  reportCount?: Variants['reportCount'];
  statusDefault?: string;
  html401?: boolean;
  retryAfter?: boolean;
  tokenStyle?: Variants['tokenStyle'];
  nonClientEntries?: boolean;
  locationTimeZones?: Variants['locationTimeZones'];
  impossibleDates?: boolean;
  gatewayTimeoutAbove?: number;
  maxReportDays?: number;
  reportPageCap?: number;
}

const VARIANT_FLAG_NAMES = [
  'allVariants',
  'reportOrder',
  'reportWithCount',
  'reportCount',
  'statusDefault',
  'html401',
  'retryAfter',
  'tokenStyle',
  'nonClientEntries',
  'locationTimeZones',
  'impossibleDates',
  'gatewayTimeoutAbove',
  'maxReportDays',
  'reportPageCap',
] as const satisfies ReadonlyArray<keyof VariantFlags>;

function takeVariantFlags<T extends VariantFlags>(
  options: T,
): { flags: VariantFlags; rest: Omit<T, keyof VariantFlags> } {
  const rest = { ...options } as Record<string, unknown>;
  const flags: Record<string, unknown> = {};
  for (const name of VARIANT_FLAG_NAMES) {
    flags[name] = rest[name];
    delete rest[name];
  }
  return { flags: flags as VariantFlags, rest: rest as Omit<T, keyof VariantFlags> };
}

/** The flags as simulator options: the variants, and the report's page cap. */
export function variantOptions(flags: VariantFlags): Pick<SimulatorOptions, 'variants' | 'reportPaging'> {
  const variants: Partial<Variants> = flags.allVariants ? { ...ALL_VARIANTS } : {};
  const set = <K extends keyof Variants>(key: K, value: Variants[K] | undefined) => {
    if (value !== undefined) variants[key] = value;
  };
  set('reportOrder', flags.reportOrder);
  set('reportWithCount', flags.reportWithCount === false ? 'absent' : flags.reportWithCount);
  set('reportCount', flags.reportCount);
  set('statusDefault', flags.statusDefault?.split(',') as Variants['statusDefault']);
  if (flags.html401) variants.html401 = true;
  if (flags.retryAfter === false) variants.retryAfter = false;
  set('tokenStyle', flags.tokenStyle);
  if (flags.nonClientEntries) variants.nonClientEntries = true;
  set('locationTimeZones', flags.locationTimeZones);
  if (flags.impossibleDates) variants.impossibleDates = true;
  set('gatewayTimeoutAbove', flags.gatewayTimeoutAbove);
  set('maxReportDays', flags.maxReportDays);
  const cap = flags.reportPageCap ?? (flags.allVariants ? 10 : undefined);
  return { variants, ...(cap === undefined ? {} : { reportPaging: { maxPageSize: cap } }) };
}

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
  const { flags, rest: others } = takeVariantFlags(commandOptions);
  const { paged, webhookUrl, webhookFormat, liveChanges, historyDays, ...rest } = others;
  const demoAccount = SHAPE_OPTIONS.every((name) => rest[name] === undefined);
  if (webhookFormat !== undefined && webhookUrl === undefined)
    throw new RangeError('simulator: --webhook-format needs --webhook-url');
  const pageSize = paged === true ? DEFAULT_PAGE_SIZE : paged;
  // The cap grows with a larger page size asked for on the command line, so that it is honoured.
  const options: SimulatorOptions = {
    ...(demoAccount ? DEMO_ACCOUNT : {}),
    ...rest,
    ...(historyDays === undefined ? {} : { appointments: { from: daysBefore(rest.today, historyDays) } }),
    ...variantOptions(flags),
    ...(pageSize === undefined
      ? {}
      : {
          listPaging: {
            mode: 'paged',
            defaultPageSize: pageSize,
            maxPageSize: Math.max(pageSize, DEFAULT_MAX_PAGE_SIZE),
          },
        }),
    ...(webhookUrl === undefined ? {} : { webhook: { url: webhookUrl, format: webhookFormat ?? 'json' } }),
    ...(liveChanges === undefined ? {} : { liveChangesEveryMs: liveChanges }),
  };
  const simulator = await startSimulator({ ...options, quiet: options.quiet ?? false, log: out });
  if (demoAccount) hireWithoutServices(simulator.data);
  out(`TimeTap simulator listening on ${simulator.url}`);
  // `export` lines: pasted into a shell, they reach every command started from it afterwards.
  out(`export TIMETAP_BASE_URL=${simulator.url}`);
  out(`export TIMETAP_API_KEY=${simulator.credentials.apiKey}`);
  out(`export TIMETAP_PRIVATE_KEY=${simulator.credentials.privateKey}`);
  out(describeAccount(simulator, demoAccount));
  out(describeAppointments(simulator));
  // startSimulator has validated the options, so resolving them again cannot throw.
  const switches = resolveSwitches(options);
  out(describeSwitches(switches));
  out(`${describeVariants(switches.variants)}; report pages of at most ${switches.reportPaging.maxPageSize}`);
  if (options.webhook) {
    // Origin and path only: a receiver's URL may carry a secret in its query.
    const url = describeWebhookUrl(options.webhook.url);
    out(`webhooks: each appointment change POSTed to ${url} (${options.webhook.format ?? 'json'})`);
  }
  if (options.liveChangesEveryMs !== undefined)
    out(`live changes: one appointment change every ${options.liveChangesEveryMs} ms`);
  if (options.hiddenRateLimit !== undefined)
    out(`hidden rate limit: ${options.hiddenRateLimit} requests/s, then 429 with Retry-After`);

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

function describeAccount(simulator: Simulator, demoAccount: boolean): string {
  const { locations, staff, services, clients } = simulator.data;
  const whose = demoAccount ? " (the demo's)" : '';
  return `account${whose}: ${locations.size} locations, ${staff.size} staff, ${services.size} services, ${clients.size} clients`;
}

function describeAppointments(simulator: Simulator): string {
  let first: string | undefined;
  let last: string | undefined;
  for (const { startDate } of simulator.data.appointments.values()) {
    if (first === undefined || startDate < first) first = startDate;
    if (last === undefined || startDate > last) last = startDate;
  }
  const range = first === undefined ? '' : ` from ${first} to ${last}`;
  return `appointments: ${simulator.data.appointments.size}${range}; Ctrl-C stops the simulator`;
}

/** The date `days` before `today` (default the real date, in UTC). */
function daysBefore(today: string | undefined, days: number): string {
  const day = parseDay(today ?? todayUtc());
  if (day === undefined) throw new RangeError('simulator: today must be a date YYYY-MM-DD');
  return formatDay(day - days);
}
