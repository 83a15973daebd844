/**
 * Typed errors for the service edge. `code` is stable and namespaced (`WEBHOOK.BAD_SIGNATURE`),
 * `status` is the HTTP answer, and `message` tells a human what to do. Never put secrets or
 * e-mail addresses in `details`: the error handler returns them to callers.
 */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 500 | 503;

export class SwitchboardError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: ErrorStatus = 500,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SwitchboardError';
  }

  toJSON(): { error: { code: string; message: string; details?: Record<string, unknown> } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details ? { details: this.details } : {}),
      },
    };
  }
}

/** The database could not be reached or refused the write: callers answer 503 so the sender retries. */
export class StorageUnavailableError extends SwitchboardError {
  constructor(cause: unknown) {
    super(
      'DB.UNAVAILABLE',
      'The database is unavailable; nothing was stored. Retry later.',
      503,
      undefined,
      { cause },
    );
    this.name = 'StorageUnavailableError';
  }
}
