/**
 * A small seeded PRNG (mulberry32). The simulator must produce byte-identical data for the same
 * seed, so nothing here may touch Math.random or the clock.
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(probability: number): boolean;
  hex(length: number): string;
  /** k distinct items of `pool`, in random order; reorders `pool` in place (cheap partial Fisher-Yates). */
  sampleInPlace<T>(pool: T[], k: number): T[];
}

/** A Random whose state can be set again: one object serves many short streams without allocating. */
export interface ReseedableRandom extends Random {
  reseed(seed: number): void;
}

export function createRandom(seed: number): Random {
  return createReseedableRandom(seed);
}

export function createReseedableRandom(seed: number): ReseedableRandom {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return {
    reseed(seed) {
      state = seed >>> 0;
    },
    next,
    int,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[int(0, items.length - 1)] as T;
    },
    chance: (probability) => next() < probability,
    hex(length) {
      let out = '';
      while (out.length < length) out += int(0, 15).toString(16);
      return out;
    },
    sampleInPlace<T>(pool: T[], k: number): T[] {
      const take = Math.min(k, pool.length);
      for (let i = 0; i < take; i++) {
        const j = int(i, pool.length - 1);
        const tmp = pool[i] as T;
        pool[i] = pool[j] as T;
        pool[j] = tmp;
      }
      return pool.slice(0, take);
    },
  };
}

/** Combines a seed with further numbers (an id, a purpose) into an independent 32-bit seed. */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    h = Math.imul(h ^ (part >>> 0), 0x01000193);
    h = Math.imul(h ^ (h >>> 13), 0x5bd1e995);
    h ^= h >>> 15;
  }
  return h >>> 0;
}
