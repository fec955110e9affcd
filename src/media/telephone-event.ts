/**
 * RFC 4733 telephone events (DTMF), pure: the §2.3 payload and the packets of one tone.
 *
 *    0                   1                   2                   3
 *   |     event     |E|R| volume    |          duration             |
 *
 * event 0-15 are the DTMF digits 0-9 * # A-D (§3.2); volume is -dBm0 (0-63); duration is in RTP
 * timestamp units since the event's timestamp, its start. The R bit is sent as 0 and ignored when read.
 */

export interface TelephoneEventPayload {
  /** 0-255; DTMF digits are 0-15. */
  event: number;
  /** The E bit: the tone is over and `duration` is final. */
  end: boolean;
  /** Power level as -dBm0, 0-63. */
  volume: number;
  /** 0-65535, in RTP timestamp units since the tone began. */
  duration: number;
}

export const TELEPHONE_EVENT_PAYLOAD_BYTES = 4;

/** DTMF digits in RFC 4733 §3.2 event order: '0' is event 0, '#' event 11, 'D' event 15. */
export const DTMF_DIGITS = '0123456789*#ABCD';

export function encodeTelephoneEvent(payload: TelephoneEventPayload): Uint8Array {
  const { event, end, volume, duration } = payload;
  checkInteger('event', event, 0, 255);
  checkInteger('volume', volume, 0, 63);
  checkInteger('duration', duration, 0, 0xffff);
  return Uint8Array.of(event, (end ? 0x80 : 0) | volume, duration >> 8, duration & 0xff);
}

export function decodeTelephoneEvent(bytes: Uint8Array): TelephoneEventPayload {
  if (bytes.length < TELEPHONE_EVENT_PAYLOAD_BYTES) {
    throw new RangeError(`a telephone-event payload has ${TELEPHONE_EVENT_PAYLOAD_BYTES} bytes, got ${bytes.length}`);
  }
  return { event: bytes[0], end: (bytes[1] & 0x80) !== 0, volume: bytes[1] & 0x3f, duration: (bytes[2] << 8) | bytes[3] };
}

/** The event number of a DTMF digit (case-insensitive A-D); a RangeError for anything else. */
export function dtmfEvent(digit: string): number {
  const event = digit.length === 1 ? DTMF_DIGITS.indexOf(digit.toUpperCase()) : -1;
  if (event < 0) throw new RangeError(`'${digit}' is not a DTMF digit (0-9, *, #, A-D)`);
  return event;
}

/** The DTMF digit of an event number 0-15; undefined for other events. */
export function dtmfDigit(event: number): string | undefined {
  return Number.isInteger(event) && event >= 0 && event < DTMF_DIGITS.length ? DTMF_DIGITS[event] : undefined;
}

export interface DtmfToneOptions {
  /** The telephone-event clock rate (the audio codec's: 48000 for Opus, 8000 for G.711). */
  clockRate: number;
  /** Tone length, rounded up to whole packets; default 100 ms. */
  durationMs?: number;
  /** -dBm0, 0-63; default 10. */
  volume?: number;
  /** Time between packets; default 20 ms, the audio frame length. */
  packetMs?: number;
}

/** How often the final packet of a tone is sent (RFC 4733 §2.5.1.4: the end must survive loss). */
export const END_PACKET_REPEATS = 3;

/**
 * The payloads of one tone, to send one per packet interval, all with the tone's starting RTP timestamp and
 * the marker bit on the first: the duration grows by one interval per packet, and the last, with E set, is
 * sent END_PACKET_REPEATS times. 100 ms at 8 kHz gives durations 160, 320, 480, 640, then 800 three times.
 */
export function dtmfPackets(digit: string, options: DtmfToneOptions): Uint8Array[] {
  const event = dtmfEvent(digit);
  const { clockRate, durationMs = 100, volume = 10, packetMs = 20 } = options;
  checkInteger('clockRate', clockRate, 1, 1_000_000);
  if (!(packetMs > 0)) throw new RangeError(`packetMs must be positive, got ${packetMs}`);
  if (!(durationMs > 0)) throw new RangeError(`durationMs must be positive, got ${durationMs}`);
  const packetUnits = Math.round((clockRate * packetMs) / 1000);
  const count = Math.ceil(durationMs / packetMs);
  if (count * packetUnits > 0xffff) {
    throw new RangeError(`a ${durationMs} ms tone does not fit the 16-bit duration at ${clockRate} Hz (RFC 4733 §2.5.2.1 long events are not supported)`);
  }
  const packets: Uint8Array[] = [];
  for (let n = 1; n < count; n++) packets.push(encodeTelephoneEvent({ event, end: false, volume, duration: n * packetUnits }));
  const last = encodeTelephoneEvent({ event, end: true, volume, duration: count * packetUnits });
  for (let repeat = 0; repeat < END_PACKET_REPEATS; repeat++) packets.push(last);
  return packets;
}

function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${name} must be an integer in ${min}-${max}, got ${value}`);
}
