// Ctrl-C (or SIGTERM) ends calls properly, so recordings are finalized and the peer gets a session-terminate;
// a second Ctrl-C exits at once (recordings are still valid: their headers are kept current while writing).
export function untilInterrupted(onInterrupt: () => void): () => void {
  let interrupted = false;
  const handler = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write('earshot: hanging up (Ctrl-C again to quit at once)\n');
    onInterrupt();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
