// The audio payload types earshot offers (XEP-0167 1.2.2 payload-type, RFC 7587 Opus, RFC 3551, RFC 4733)
// and the answerer's choice among a peer's offer.
import type { PayloadType } from './model.js';

function frozen(pt: PayloadType): Readonly<PayloadType> {
  Object.freeze(pt.parameters);
  return Object.freeze(pt);
}

/** Everything earshot offers, in preference order; the telephone-events come last. Use offeredPayloadTypes() for copies. */
export const EARSHOT_PAYLOAD_TYPES: ReadonlyArray<Readonly<PayloadType>> = Object.freeze([
  frozen({ id: 111, name: 'opus', clockrate: 48000, channels: 2, parameters: { minptime: '10', useinbandfec: '1' } }),
  frozen({ id: 0, name: 'PCMU', clockrate: 8000, parameters: {} }),
  frozen({ id: 8, name: 'PCMA', clockrate: 8000, parameters: {} }),
  frozen({ id: 101, name: 'telephone-event', clockrate: 48000, parameters: {} }),
  frozen({ id: 126, name: 'telephone-event', clockrate: 8000, parameters: {} }),
]);

/** Codec names earshot can encode and decode. */
export const SUPPORTED_CODECS = ['opus', 'PCMU', 'PCMA'] as const;

/** Clock rate a codec must have to be the one we know (RFC 7587: Opus is always 48000/2 in SDP). */
const REQUIRED_CLOCKRATE: Record<string, number> = { opus: 48000, pcmu: 8000, pcma: 8000 };

const isTelephoneEvent = (pt: PayloadType) => pt.name.toLowerCase() === 'telephone-event';

/**
 * The payload types to offer (fresh copies): the audio codecs named in `codecs`, in that order (`['PCMA']`
 * forces one), then the telephone-events whose clock rates match an offered codec.
 */
export function offeredPayloadTypes(codecs: readonly string[] = SUPPORTED_CODECS): PayloadType[] {
  const audio: PayloadType[] = [];
  for (const name of codecs) {
    const match = EARSHOT_PAYLOAD_TYPES.find((pt) => !isTelephoneEvent(pt) && sameName(pt.name, name));
    if (!match) throw new RangeError(`earshot cannot offer codec '${name}'; it knows ${SUPPORTED_CODECS.join(', ')}`);
    if (!audio.includes(match)) audio.push(match);
  }
  const rates = new Set(audio.map((pt) => pt.clockrate));
  const events = EARSHOT_PAYLOAD_TYPES.filter((pt) => isTelephoneEvent(pt) && rates.has(pt.clockrate));
  return [...audio, ...events].map(copyPayloadType);
}

export interface NegotiatedCodec {
  audio: PayloadType;
  telephoneEvent?: PayloadType;
}

/**
 * What an answerer answers with, as Dino does: one audio payload type, the first one offered whose codec is in
 * `supported` (pass a single name to force a codec), plus the offered telephone-event with the same clock rate.
 * The offerer's payload type ids are kept. Undefined when nothing offered is supported.
 */
export function negotiateCodec(offered: readonly PayloadType[], supported: readonly string[]): NegotiatedCodec | undefined {
  const audio = offered.find(
    (pt) =>
      !isTelephoneEvent(pt) &&
      supported.some((name) => sameName(pt.name, name)) &&
      (pt.clockrate === undefined || pt.clockrate === (REQUIRED_CLOCKRATE[pt.name.toLowerCase()] ?? pt.clockrate)),
  );
  if (!audio) return undefined;
  const chosen = copyPayloadType(audio);
  if (chosen.name.toLowerCase() === 'opus') chosen.channels = 2;
  const clockrate = chosen.clockrate ?? 8000;
  const telephoneEvent = offered.find((pt) => isTelephoneEvent(pt) && (pt.clockrate ?? 8000) === clockrate);
  return telephoneEvent ? { audio: chosen, telephoneEvent: copyPayloadType(telephoneEvent) } : { audio: chosen };
}

function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function copyPayloadType(pt: PayloadType): PayloadType {
  const copy: PayloadType = { ...pt, parameters: { ...pt.parameters } };
  if (pt.feedback) copy.feedback = pt.feedback.map((fb) => ({ ...fb }));
  return copy;
}
