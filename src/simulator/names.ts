/**
 * Word pools for realistic strings. Accents, Ñ, ß, Ł and the like are deliberate: a mirror must
 * carry them through byte for byte.
 */
export const FIRST_NAMES = [
  'José',
  'Zoë',
  'Chloé',
  'François',
  'Renée',
  'Łukasz',
  'Søren',
  'Björn',
  'Inés',
  'Ana',
  'Mia',
  'Liam',
  'Noah',
  'Olivia',
  'Aiyana',
  'Siobhán',
  'Dvořák',
  'Mónica',
  'Jürgen',
  'Ömer',
  'Priya',
  'Wei',
  'Yuki',
  'Kwame',
  'Fatima',
  'Nuño',
  'Carmen',
  'Étienne',
  'Maëlle',
  'Grace',
] as const;

export const LAST_NAMES = [
  'Müller',
  'Ñúñez',
  'García',
  'Smith',
  "O'Brien",
  'Nguyễn',
  'Kowalski',
  'Johansson',
  'Dubois',
  'Rossi',
  'Schäfer',
  'Peña',
  'Żółć',
  'Andersen',
  'Brown',
  'Lefèvre',
  'Straße',
  'Ibáñez',
  'Chen',
  'Okafor',
  'Van der Berg',
  'Hernández',
  'Ólafsson',
  'Kim',
  'Patel',
  'Novák',
  'Fernández-López',
  'Çelik',
  'Wood',
  'Ruiz',
] as const;

/** Emoji, including a ZWJ sequence and a flag, for a few display names. */
export const EMOJI = ['🌸', '💆‍♀️', '🧘', '✂️', '🇪🇸', '☕', '🦷', '💪🏽'] as const;

export const CITIES = [
  { city: 'New York', state: 'NY', zip: '100', tz: 0 },
  { city: 'San José', state: 'CA', zip: '951', tz: 3 },
  { city: 'Coeur d’Alene', state: 'ID', zip: '838', tz: 3 },
  { city: 'Española', state: 'NM', zip: '875', tz: 2 },
  { city: 'Chicago', state: 'IL', zip: '606', tz: 1 },
  { city: 'Austin', state: 'TX', zip: '787', tz: 1 },
  { city: 'Denver', state: 'CO', zip: '802', tz: 2 },
  { city: 'Seattle', state: 'WA', zip: '981', tz: 3 },
  { city: 'Miami', state: 'FL', zip: '331', tz: 0 },
  { city: 'Boston', state: 'MA', zip: '021', tz: 0 },
  { city: 'Cañon City', state: 'CO', zip: '812', tz: 2 },
  { city: 'Montréal', state: 'QC', zip: 'H2X', tz: 0 },
] as const;

export const TIME_ZONES = [
  { timeZoneId: 1, timeZoneCode: 'America/New_York', timeZoneDesc: '(GMT-05:00) Eastern Time (US & Canada)' },
  { timeZoneId: 2, timeZoneCode: 'America/Chicago', timeZoneDesc: '(GMT-06:00) Central Time (US & Canada)' },
  { timeZoneId: 3, timeZoneCode: 'America/Denver', timeZoneDesc: '(GMT-07:00) Mountain Time (US & Canada)' },
  {
    timeZoneId: 4,
    timeZoneCode: 'America/Los_Angeles',
    timeZoneDesc: '(GMT-08:00) Pacific Time (US & Canada)',
  },
] as const;

export const LOCATION_SUFFIXES = [
  'Downtown',
  'Midtown Studio',
  'Westside Clinic',
  'Northgate',
  'Harbor Office',
  'Café Annex',
  'Main St.',
] as const;

export const STREETS = ['Main St', 'Rue Sainte-Catherine', 'Calle Ñandú', 'Oak Ave', 'Elm St', 'Königsallee'];

export const SERVICE_NAMES = [
  'Initial Consultation',
  'Follow-up Visit',
  'Deep Tissue Massage',
  'Haircut & Style',
  'Teeth Cleaning',
  'Yoga Flow',
  'Pilates Mat Class',
  'Nutrition Coaching',
  'Physiotherapy Session',
  'Manicure',
  'Crème Facial',
  'Piñata Workshop',
  'Acupuncture',
  'Personal Training',
  'Tax Review',
  'Café Barista Class',
] as const;

export const TITLES = ['Therapist', 'Stylist', 'Coach', 'Dentist', 'Instructor', 'Consultant', 'Manager'];

const LONG_SENTENCES = [
  'Please arrive ten minutes early so that we can review your intake form together.',
  'Señora Müller’s “signature” routine combines stretching, breath work and a short consultation.',
  'Cancellations less than 24 hours in advance are charged at 50 % of the visit price.',
  'Wir bitten Sie, bequeme Kleidung zu tragen; Handtücher werden gestellt.',
  'Les séances se déroulent en français, en español ou in English, selon votre préférence.',
];

/** About `bytes` bytes of varied, accented prose: the one very long field of the data set. */
export function longText(bytes: number): string {
  const parts: string[] = [];
  let length = 0;
  for (let i = 0; length < bytes; i++) {
    const sentence = `${i + 1}. ${LONG_SENTENCES[i % LONG_SENTENCES.length]}`;
    parts.push(sentence);
    length += Buffer.byteLength(sentence) + 1;
  }
  return parts.join('\n');
}

/** "José Müller" -> "jose.muller": user names and e-mail addresses stay ASCII, like TimeTap's. */
export function asciiSlug(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[^\x20-\x7e]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '.')
    .replace(/^\.+|\.+$/g, '');
}
