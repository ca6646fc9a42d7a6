// The one error type of the exporter: something the user can fix (a bad path, a missing
// program, an odd size), told in one line that names the value and what to do.

export class ExportError extends Error {
  override name = 'ExportError';
}

/** Thrown when an export is cancelled through its AbortSignal (Ctrl-C on the command line). */
export class ExportCancelled extends Error {
  override name = 'ExportCancelled';
  constructor() {
    super('export cancelled; nothing was written');
  }
}
