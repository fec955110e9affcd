/**
 * Leveled logging to stderr. Secrets never reach a log: anything registered with
 * `redact` is replaced wherever it appears, and SASL payloads are masked by the xmpp layer.
 */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
const order: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

const secrets = new Set<string>();
let threshold: LogLevel = (process.env.EARSHOT_LOG as LogLevel | undefined) ?? 'warn';

export function setLogLevel(level: LogLevel): void {
  threshold = level;
}

export function redact(secret: string): void {
  if (secret.length >= 4) secrets.add(secret);
}

export function scrub(text: string): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('***');
  return out;
}

export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

export function logger(scope: string): Logger {
  const write = (level: LogLevel, message: string) => {
    if (order[level] > order[threshold]) return;
    process.stderr.write(`${new Date().toISOString()} ${level.padEnd(5)} [${scope}] ${scrub(message)}\n`);
  };
  return {
    error: (m) => write('error', m),
    warn: (m) => write('warn', m),
    info: (m) => write('info', m),
    debug: (m) => write('debug', m),
  };
}
