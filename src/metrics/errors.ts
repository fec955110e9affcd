/** Why a metric refused its input: no speech to score, too little of it, or samples that are not audio. */
export type MetricsInputVerdict = 'no-speech' | 'too-short' | 'invalid';

/**
 * Raised instead of returning a meaningless number (NaN, or a score of silence against silence).
 * `verdict` lets a report say "no speech" rather than show a stack trace.
 */
export class MetricsInputError extends Error {
  override readonly name = 'MetricsInputError';

  constructor(
    message: string,
    readonly verdict?: MetricsInputVerdict,
  ) {
    super(message);
  }
}
