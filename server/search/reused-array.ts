/**
 * A typed array reused from call to call by code that runs start to end without yielding: a
 * fresh 100,000-slot array per search kept the GC busy. It only grows, so what a caller wrote
 * stays there for the next one (a caller that needs zeros leaves it zeroed).
 */
type Typed = Int32Array | Float64Array | Uint8Array;

export class ReusedArray<T extends Typed> {
  private array: T;

  constructor(private readonly make: (size: number) => T) {
    this.array = make(0);
  }

  /** At least `size` elements. */
  atLeast(size: number): T {
    if (this.array.length < size) this.array = this.make(size);
    return this.array;
  }
}
