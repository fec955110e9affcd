// A private D-Bus session bus, and calls to an application's exported GActions (org.gtk.Actions) on it.
import { join } from 'node:path';
import { findExecutable, ManagedProcess } from '../lab/processes.js';
import { InteropError, runCommand, waitUntil } from './commands.js';

export interface SessionBus {
  /** The DBUS_SESSION_BUS_ADDRESS value. */
  address: string;
  process: ManagedProcess;
}

export async function startSessionBus(dir: string, timeoutMs = 10_000): Promise<SessionBus> {
  if (!findExecutable('dbus-daemon')) throw new InteropError('dbus-daemon is not installed: apt-get install -y dbus-x11');
  const address = `unix:path=${join(dir, 'session-bus')}`;
  const args = ['--session', '--nofork', '--nopidfile', `--address=${address}`, '--print-address=1'];
  const daemon = await ManagedProcess.spawn('dbus-daemon', 'dbus-daemon', args, dir);
  try {
    await waitUntil('dbus-daemon did not start', () => (daemon.outputTail().includes(address) ? true : undefined), {
      timeoutMs,
      giveUp: () => (daemon.exited ? `it exited: ${daemon.outputTail().trim()}` : undefined),
    });
    return { address, process: daemon };
  } catch (error) {
    await daemon.terminate();
    throw error;
  }
}

/**
 * Activates the GAction `action` of the application owning `busName` (GApplication's org.gtk.Actions.Activate).
 * `parameter` is a GVariant in text form, e.g. "(2, 5)" for a `(ii)` parameter.
 */
export async function activateAction(busAddress: string, busName: string, objectPath: string, action: string, parameter: string): Promise<void> {
  const args = ['call', '--session', '--dest', busName, '--object-path', objectPath, '--method', 'org.gtk.Actions.Activate', action, `[<${parameter}>]`, '{}'];
  await runCommand('gdbus', args, { env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: busAddress } });
}
