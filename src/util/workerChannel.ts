// The one typed request/reply channel to a worker thread (preprocess, merged-file shuffle): the main side
// (WorkerChannel) numbers each request, matches replies by id, turns an 'error' reply into the worker's
// error (errorFromWorker: a UserError stays one) and fails every pending request when the thread dies; the
// thread side (serveRequests) answers each request in arrival order with the handler's reply, or the
// thrown error's fields. Typed arrays travel by transfer (the transfer lists), never by copy.
import { parentPort, Worker } from 'node:worker_threads';
import { errorFromWorker, workerErrorFields, type WorkerErrorFields } from './errors';

/** Every message carries the request id and a type tag. */
export interface Tagged {
  id: number;
  type: string;
}

export type ErrorReply = { id: number; type: 'error' } & WorkerErrorFields;

export class WorkerChannel<Req extends Tagged, Rep extends Tagged> {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Rep) => void; reject: (e: Error) => void }>();
  private failure: Error | undefined;

  /** Starts the thread running `script`; `what` names it in errors ('preprocess worker'). */
  constructor(
    script: string,
    private readonly what: string,
  ) {
    this.worker = new Worker(script);
    this.worker.on('message', (reply: Rep | ErrorReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (reply.type === 'error') p.reject(errorFromWorker(reply as ErrorReply, `${what} failed`));
      else p.resolve(reply as Rep);
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`${what} exited with code ${code}`)));
  }

  /** Posts `msg` now (its id is assigned here; requests are handled in posting order) and resolves with the reply. */
  post(msg: Req, transfer: ArrayBuffer[] = []): Promise<Rep> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<Rep>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...msg, id }, transfer);
    });
  }

  /** post(), refusing a reply of another type than `expect`. */
  async request<R extends Rep['type']>(
    msg: Req,
    expect: R,
    transfer: ArrayBuffer[] = [],
  ): Promise<Extract<Rep, { type: R }>> {
    const reply = await this.post(msg, transfer);
    if (reply.type !== expect) throw new Error(`${this.what}: expected ${expect}, got ${reply.type}`);
    return reply as Extract<Rep, { type: R }>;
  }

  async terminate(): Promise<void> {
    this.failure ??= new Error(`${this.what} terminated`);
    await this.worker.terminate();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
  }
}

/** The thread side: answers each request with handle()'s reply (and transfer list), or the error it throws. */
export function serveRequests<Req extends Tagged, Rep extends Tagged>(
  what: string,
  handle: (msg: Req) => { reply: Rep; transfer: ArrayBuffer[] },
): void {
  const port = parentPort;
  if (!port) throw new Error(`${what}: must run in a worker thread`);
  port.on('message', (msg: Req) => {
    try {
      const { reply, transfer } = handle(msg);
      port.postMessage(reply, transfer);
    } catch (err) {
      port.postMessage({ id: msg.id, type: 'error', ...workerErrorFields(err) } satisfies ErrorReply);
    }
  });
}
