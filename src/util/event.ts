/** A typed event: `readonly onPacket = new Event<[RtpPacket]>()`, then `onPacket.subscribe(fn)`. */
export class Event<Args extends unknown[]> {
  private listeners = new Set<(...args: Args) => void>();

  subscribe(listener: (...args: Args) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves with the arguments of the next emission. */
  next(): Promise<Args> {
    return new Promise((resolve) => {
      const unsubscribe = this.subscribe((...args) => {
        unsubscribe();
        resolve(args);
      });
    });
  }

  emit(...args: Args): void {
    for (const listener of [...this.listeners]) listener(...args);
  }

  clear(): void {
    this.listeners.clear();
  }
}
