// An error that becomes an HTTP response of `dlrm serve`: its status code and the message of the JSON body
// {"error": "..."} (src/serve/app.ts's error handler turns every error into that shape).
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** The message of a 415: a request body that is not JSON by its content-type. */
export function notJsonMessage(contentType: string | undefined): string {
  return `the body must be JSON (content-type: application/json), not ${contentType ?? 'without a content-type'}`;
}
