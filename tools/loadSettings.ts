/**
 * How long each load run of `npm run test:reliability` lasts. The load test runs 30 s per
 * route, and that is what CI and the committed figures use; LOAD_SECONDS may shorten the
 * runs while iterating locally, and is ignored when CI is set.
 */
export const LOAD_SECONDS = 30;

export function loadSeconds(env: Record<string, string | undefined> = process.env): number {
  if (env.CI !== undefined && env.CI !== '' && env.CI !== 'false') return LOAD_SECONDS;
  const override = Number(env.LOAD_SECONDS);
  return Number.isInteger(override) && override > 0 ? override : LOAD_SECONDS;
}
