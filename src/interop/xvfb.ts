// A virtual X display (Xvfb) for GUI clients run headless: the first free display number, chosen by Xvfb itself.
import { findExecutable, ManagedProcess } from '../lab/processes.js';
import { InteropError, waitUntil } from './commands.js';

export interface VirtualDisplay {
  /** The DISPLAY value, e.g. ":3". */
  display: string;
  process: ManagedProcess;
}

export async function startXvfb(dir: string, timeoutMs = 10_000): Promise<VirtualDisplay> {
  if (!findExecutable('Xvfb')) throw new InteropError('Xvfb is not installed: apt-get install -y xvfb');
  // -displayfd 1: Xvfb picks a free display and writes its number to stdout once it accepts clients.
  const xvfb = await ManagedProcess.spawn('Xvfb', 'Xvfb', ['-displayfd', '1', '-nolisten', 'tcp', '-screen', '0', '1024x768x24'], dir);
  try {
    const number = await waitUntil('Xvfb did not report its display', () => /^(\d+)$/m.exec(xvfb.outputTail())?.[1], {
      timeoutMs,
      giveUp: () => (xvfb.exited ? `it exited: ${xvfb.outputTail().trim()}` : undefined),
    });
    return { display: `:${number}`, process: xvfb };
  } catch (error) {
    await xvfb.terminate();
    throw error;
  }
}
