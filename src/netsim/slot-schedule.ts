// Slotted delivery (netem `slot`): packets wait for the next slot boundary and leave together. Slots start
// at the origin and last a uniform draw in [minMs, maxMs] each. A slot takes packets while it is under its
// packet and byte budgets (a packet bigger than the byte budget still leaves alone in an empty slot);
// the rest wait for a later slot.
import type { ImpairmentConfig } from './config.js';

export class SlotSchedule {
  private readonly startsMs: number[];
  private readonly packets: number[] = [0];
  private readonly bytes: number[] = [0];

  constructor(
    private readonly config: NonNullable<ImpairmentConfig['slot']>,
    private readonly random: () => number,
    originMs: number,
  ) {
    this.startsMs = [originMs];
  }

  /** The boundary at which a packet ready at `readyMs` leaves; books it into that slot. */
  assign(readyMs: number, sizeBytes: number): number {
    let index = this.firstStartAtOrAfter(readyMs);
    const { maxPackets = Infinity, maxBytes = Infinity } = this.config;
    while (this.packets[index]! >= maxPackets || this.bytes[index]! >= maxBytes) {
      index++;
      if (index === this.startsMs.length) this.addSlot();
    }
    this.packets[index]!++;
    this.bytes[index]! += sizeBytes;
    return this.startsMs[index]!;
  }

  /** Forgets slots that started before `nowMs`: a packet is never ready before now, so none is booked there again. */
  forgetBefore(nowMs: number): void {
    const stale = this.firstStartAtOrAfter(nowMs);
    if (stale > 1024) {
      this.startsMs.splice(0, stale);
      this.packets.splice(0, stale);
      this.bytes.splice(0, stale);
    }
  }

  private addSlot(): void {
    const { minMs, maxMs } = this.config;
    this.startsMs.push(this.startsMs.at(-1)! + minMs + (maxMs - minMs) * this.random());
    this.packets.push(0);
    this.bytes.push(0);
  }

  private firstStartAtOrAfter(timeMs: number): number {
    while (this.startsMs.at(-1)! < timeMs) this.addSlot();
    let low = 0;
    let high = this.startsMs.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.startsMs[middle]! < timeMs) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
