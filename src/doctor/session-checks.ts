/**
 * The checks of the session and the answers around the data: the login (`login`), the session
 * token's form (`token-format`), what a 401 looks like (`unauthorized-answer`), how an unknown
 * appointment id answers (`deleted-appointment`), and whether a 429 carried Retry-After
 * (`retry-after`, from every exchange the doctor made).
 */
import { AuthError, NotFoundError, TimeTapHttpError } from '../errors.js';
import { type Check, check } from './check.js';
import { type DoctorContext, describeFailure, plural } from './context.js';

/** An id no account is likely to have: the largest 32-bit integer. */
const UNKNOWN_ID = 2_147_483_647;

export async function loginCheck(ctx: DoctorContext): Promise<Check> {
  try {
    await ctx.probe.api.login();
    return check('login', 'as-assumed', 'logged in with the key pair (signature md5(apiKey + privateKey))');
  } catch (error) {
    // The client's own message: it names the keys to fix, those of the account in
    // TIMETAP_ACCOUNTS_FILE or the TIMETAP_* variables (never a value).
    if (error instanceof AuthError) return check('login', 'failed', error.message);
    return check('login', 'failed', `could not log in: ${describeFailure(error)}`);
  }
}

export function tokenFormatCheck(ctx: DoctorContext): Check {
  const shape = ctx.probe.tokenShape();
  if (shape === undefined) return check('token-format', 'unknown', 'no session token was received');
  if (shape === 'st:api:api:<32 hex>')
    return check('token-format', 'as-assumed', `tokens look like ${shape}`);
  return check(
    'token-format',
    'different',
    `tokens look like ${shape}: the client treats a token as opaque, and scrubs both documented forms from every log line`,
  );
}

export async function unauthorizedAnswerCheck(ctx: DoctorContext): Promise<Check> {
  try {
    const answer = await ctx.probe.unauthorized('/locations');
    if (answer.status !== 401)
      return check(
        'unauthorized-answer',
        'unknown',
        `a token that cannot be valid was answered ${answer.status}, not 401`,
      );
    if (answer.contentType === 'application/json')
      return check('unauthorized-answer', 'as-assumed', 'a 401 comes as JSON');
    return check(
      'unauthorized-answer',
      'different',
      `a 401 comes as ${answer.contentType || 'a body without a type'}: the client reads only the status (a dead token on a data call, refused keys on the login)`,
    );
  } catch (error) {
    return check('unauthorized-answer', 'failed', describeFailure(error));
  }
}

export async function deletedAppointmentCheck(ctx: DoctorContext): Promise<Check> {
  try {
    await ctx.probe.api.getAppointment(UNKNOWN_ID);
    return check(
      'deleted-appointment',
      'unknown',
      `an id that should not exist (${UNKNOWN_ID}) was answered as an appointment`,
    );
  } catch (error) {
    if (error instanceof NotFoundError)
      return check(
        'deleted-appointment',
        'as-assumed',
        'an unknown appointment id answers 404, which is what tombstones an appointment',
      );
    if (error instanceof TimeTapHttpError)
      return check(
        'deleted-appointment',
        'different',
        `an unknown appointment id answers ${error.status}, not 404: appointments gone from TimeTap are kept, never tombstoned on that answer`,
      );
    return check('deleted-appointment', 'failed', describeFailure(error));
  }
}

export function retryAfterCheck(ctx: DoctorContext): Check {
  const exchanges = ctx.probe.exchanges();
  const throttled = exchanges.filter((e) => e.status === 429);
  if (throttled.length === 0)
    return check('retry-after', 'unknown', `no 429 in ${plural(exchanges.length, 'exchange')}`);
  const without = throttled.filter((e) => !e.retryAfter).length;
  if (without === 0)
    return check('retry-after', 'as-assumed', `${plural(throttled.length, '429')}, each with Retry-After`);
  return check(
    'retry-after',
    'different',
    `${without} of ${plural(throttled.length, '429')} came without Retry-After: the client waits its own backoff, and the learned rate slows down all the same`,
  );
}
