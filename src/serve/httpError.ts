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
