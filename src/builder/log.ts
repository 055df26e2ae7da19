/** The builder's log: lines on stderr for `koji-es builder`, Nest's logger for the in-process builder. */
export interface BuilderLogger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  /** A logger whose lines start with `prefix` (one per task). */
  child(prefix: string): BuilderLogger;
}

export type LogSink = (level: 'debug' | 'info' | 'warn' | 'error', line: string) => void;

export function makeLogger(sink: LogSink, prefix = ''): BuilderLogger {
  const p = prefix ? `${prefix}: ` : '';
  return {
    debug: (m) => sink('debug', p + m),
    info: (m) => sink('info', p + m),
    warn: (m) => sink('warn', p + m),
    error: (m) => sink('error', p + m),
    child: (more) => makeLogger(sink, p + more),
  };
}

/** `koji-es builder: <time> <LEVEL> <message>` on stderr; debug lines only with --debug. */
export function stderrLogger(debug: boolean, write: (s: string) => void = (s) => process.stderr.write(s)) {
  return makeLogger((level, line) => {
    if (level === 'debug' && !debug) return;
    write(`koji-es builder: ${new Date().toISOString()} ${level.toUpperCase()} ${line}\n`);
  });
}
