// What a desktop client run headless needs around it: a virtual display (Xvfb), its own PulseAudio server and,
// for a client that is driven over D-Bus, a private session bus. Started side by side, stopped together.
import { startSessionBus, type SessionBus } from './session-bus.js';
import { PulseServer } from './pulse.js';
import { startXvfb, type VirtualDisplay } from './xvfb.js';

export interface DesktopServices {
  display: VirtualDisplay;
  pulse: PulseServer;
  bus?: SessionBus;
}

export interface DesktopServicesPlaces {
  /** Folder for Xvfb's and the session bus's files. */
  dir: string;
  /** Folder for PulseAudio's socket and files; default `dir`. */
  pulseDir?: string;
  /** Start a private session bus too; default false. */
  sessionBus?: boolean;
}

/** Starts them all; when one fails, stops those that started and throws its error. */
export async function startDesktopServices(places: DesktopServicesPlaces & { sessionBus: true }): Promise<DesktopServices & { bus: SessionBus }>;
export async function startDesktopServices(places: DesktopServicesPlaces): Promise<DesktopServices>;
export async function startDesktopServices(places: DesktopServicesPlaces): Promise<DesktopServices> {
  const [display, pulse, bus] = await Promise.allSettled([
    startXvfb(places.dir),
    PulseServer.start(places.pulseDir ?? places.dir),
    places.sessionBus ? startSessionBus(places.dir) : Promise.resolve(undefined),
  ]);
  if (display.status === 'fulfilled' && pulse.status === 'fulfilled' && bus.status === 'fulfilled') {
    return { display: display.value, pulse: pulse.value, bus: bus.value };
  }
  await Promise.all([
    display.status === 'fulfilled' && display.value.process.terminate(),
    bus.status === 'fulfilled' && bus.value?.process.terminate(),
    pulse.status === 'fulfilled' && pulse.value.stop(),
  ]);
  const failure = [display, bus, pulse].find((result) => result.status === 'rejected') as PromiseRejectedResult;
  throw failure.reason;
}

export async function stopDesktopServices(services: DesktopServices): Promise<void> {
  await Promise.all([services.pulse.stop(), services.bus?.process.terminate(), services.display.process.terminate()]);
}
