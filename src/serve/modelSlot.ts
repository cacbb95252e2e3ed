// The model `dlrm serve` scores with, and its hot reload. A request takes the current model once (acquire)
// and uses it for encoding and scoring, so it never mixes two models; a reload loads the new checkpoint
// beside the old one and swaps the reference atomically (between two requests' acquires); the old model's
// engine is disposed once the last request holding it is released. A checkpoint that fails to load is
// refused (the error is thrown to the caller) and the current model keeps serving. One reload at a time.
// A reload is prepare (load beside) + commit (swap), so that several processes (serve --workers) can load
// first and all swap, or all abort, together.
import { HttpError } from './httpError';
import type { ServedModel } from './servedModel';

interface Held {
  model: ServedModel;
  users: number;
  retired: boolean;
}

export class ModelSlot {
  private held: Held;
  private readonly holders = new Map<ServedModel, Held>();
  private reloading = false;

  constructor(
    initial: ServedModel,
    private readonly load: (file: string) => Promise<ServedModel>,
  ) {
    this.held = { model: initial, users: 0, retired: false };
    this.holders.set(initial, this.held);
  }

  /** The current model (without taking it). */
  get current(): ServedModel {
    return this.held.model;
  }

  /** Takes the current model for one request; give it back with release(). */
  acquire(): ServedModel {
    this.held.users++;
    return this.held.model;
  }

  release(model: ServedModel): void {
    const h = this.holders.get(model);
    if (!h) return;
    h.users--;
    this.disposeIfDone(h);
  }

  /**
   * Loads `file` (default: the current model's file again) and makes it current; returns it and the model it
   * replaced. Throws (the current model unchanged) when it does not load, or a 409 HttpError during another reload.
   */
  async reload(file?: string): Promise<{ model: ServedModel; previous: ServedModel }> {
    const model = await this.prepare(file);
    return { model, previous: this.commit(model) };
  }

  /**
   * The first half of a reload: loads `file` (default: the current model's file) beside the current model,
   * which keeps serving; the slot stays reloading until commit() or abort(). Throws as reload() does.
   */
  async prepare(file?: string): Promise<ServedModel> {
    if (this.reloading) throw new HttpError(409, 'a reload is already running');
    this.reloading = true;
    try {
      return await this.load(file ?? this.held.model.file);
    } catch (err) {
      this.reloading = false;
      throw err;
    }
  }

  /** Makes a prepared model current; returns the model it replaced (disposed once no request holds it). */
  commit(model: ServedModel): ServedModel {
    const previous = this.held;
    this.held = { model, users: 0, retired: false };
    this.holders.set(model, this.held);
    previous.retired = true;
    this.disposeIfDone(previous);
    this.reloading = false;
    return previous.model;
  }

  /** Drops a prepared model; the current one keeps serving. */
  abort(model: ServedModel): void {
    model.engine.dispose();
    this.reloading = false;
  }

  /** Disposes every model (at shutdown, when no request holds one). */
  dispose(): void {
    for (const h of this.holders.values()) h.model.engine.dispose();
    this.holders.clear();
  }

  private disposeIfDone(h: Held): void {
    if (h.retired && h.users === 0 && this.holders.delete(h.model)) h.model.engine.dispose();
  }
}
