/** The broker cannot be reached (or the bus is closed): retry later. STOW-RS maps it to 503. */
export class BusUnavailableError extends Error {
  override readonly name = 'BusUnavailableError';
  readonly retryable = true;
}

/** The broker refused the messages themselves (e.g. larger than its maximum message size): retrying cannot help. */
export class BusPublishError extends Error {
  override readonly name = 'BusPublishError';
  readonly retryable = false;
}
