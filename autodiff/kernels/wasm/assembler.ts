// A tiny WebAssembly assembler: LEB128 numbers, the few sections a kernel module needs, and the opcodes it uses (the 0xFD SIMD prefix included), so that kernels are written in TypeScript and their bytes made at run time.
//
// Only what the matrix kernels need is here; every number is from the WebAssembly core
// specification 2.0 (binary format, chapter 5) and its fixed-width SIMD proposal, merged in 2.0.
// See https://webassembly.github.io/spec/core/binary/index.html

/** Value types (spec 5.3.1). */
export const I32 = 0x7f;
export const F64 = 0x7c;
export const V128 = 0x7b;
/** A value type byte: {@link I32}, {@link F64} or {@link V128}. */
export type ValueType = typeof I32 | typeof F64 | typeof V128;

/** Unsigned LEB128 (spec 5.2.2): 7 bits per byte, low bits first, the high bit set on every byte but the last. */
export function unsignedLeb(value: number): number[] {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`unsignedLeb: 'value' must be an integer in [0, 2³²), got ${value}`);
  const bytes: number[] = [];
  let v = value;
  do {
    let byte = v % 128;
    v = Math.floor(v / 128);
    if (v !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (v !== 0);
  return bytes;
}

/** Signed LEB128: as {@link unsignedLeb}, in two's complement, until the rest is all sign bits. */
export function signedLeb(value: number): number[] {
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) throw new RangeError(`signedLeb: 'value' must be a 32-bit integer, got ${value}`);
  const bytes: number[] = [];
  let v = value;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    bytes.push(done ? byte : byte | 0x80);
    if (done) return bytes;
  }
}

/** A name: its UTF-8 length, then its bytes (spec 5.2.4). */
function name(text: string): number[] {
  const bytes = Array.from(new TextEncoder().encode(text));
  return [...unsignedLeb(bytes.length), ...bytes];
}

/** A vector: its length, then the items' bytes (spec 5.1.3). */
function vector(items: number[][]): number[] {
  return [...unsignedLeb(items.length), ...items.flat()];
}

/** A section: its id, its size in bytes, its contents (spec 5.5.2). */
function section(id: number, contents: number[]): number[] {
  return [id, ...unsignedLeb(contents.length), ...contents];
}

/**
 * The body of one function, written instruction by instruction. Each method appends one
 * instruction (or a fixed group) and returns `this`, so a kernel reads as its instruction list.
 * Locals are numbered after the parameters, in the order {@link FunctionBody.local} declares them.
 */
export class FunctionBody {
  readonly code: number[] = [];
  private readonly locals: ValueType[] = [];

  /** @param params - the function's parameter types (locals 0 … params.length − 1) */
  constructor(readonly params: readonly ValueType[]) {}

  /** Declares one more local of `type`; returns its index. */
  local(type: ValueType): number {
    this.locals.push(type);
    return this.params.length + this.locals.length - 1;
  }

  // ---- control (spec 5.4.1): blocks take the empty block type 0x40 (no parameters, no results)
  block(): this { return this.op(0x02, 0x40); }
  loop(): this { return this.op(0x03, 0x40); }
  end(): this { return this.op(0x0b); }
  /** Branch to the enclosing block `depth` levels out (0 = innermost): to its end for a block, its start for a loop. */
  br(depth: number): this { return this.op(0x0c, ...unsignedLeb(depth)); }
  /** Pops an i32; branches as {@link br} when it is not zero. */
  brIf(depth: number): this { return this.op(0x0d, ...unsignedLeb(depth)); }

  // ---- variables (spec 5.4.4)
  get(index: number): this { return this.op(0x20, ...unsignedLeb(index)); }
  set(index: number): this { return this.op(0x21, ...unsignedLeb(index)); }

  // ---- i32 arithmetic (spec 5.4.7)
  i32Const(value: number): this { return this.op(0x41, ...signedLeb(value)); }
  i32Eqz(): this { return this.op(0x45); }
  i32Ne(): this { return this.op(0x47); }
  i32Add(): this { return this.op(0x6a); }
  i32Sub(): this { return this.op(0x6b); }
  i32Shl(): this { return this.op(0x74); }
  i32And(): this { return this.op(0x71); }
  /** Pops b then a; pushes 1 if a ≥ b as unsigned integers, else 0. */
  i32GeU(): this { return this.op(0x4f); }

  // ---- f64 scalars (spec 5.4.6, 5.4.7): memarg as for the SIMD loads, alignment 2³ = 8 bytes
  /** Pops an address; pushes the f64 at address + offset. */
  f64Load(offset: number): this { return this.op(0x2b, 3, ...unsignedLeb(offset)); }
  /** Pops an f64 and an address; stores the f64 at address + offset. */
  f64Store(offset: number): this { return this.op(0x39, 3, ...unsignedLeb(offset)); }
  /** f64 sum, rounded (IEEE 754 binary64). */
  f64Add(): this { return this.op(0xa0); }
  /** f64 product, rounded (IEEE 754 binary64). */
  f64Mul(): this { return this.op(0xa2); }

  // ---- 128-bit SIMD (spec 5.4.8): prefix 0xFD, then the opcode as an unsigned LEB128.
  // Memory instructions take a memarg: the alignment as a power of 2 (a hint), then a byte offset.
  /** Pops an address; pushes the 16 bytes at address + offset. */
  v128Load(offset: number): this { return this.simd(0x00, 4, offset); }
  /** Pops an address; pushes the f64 at address + offset in both lanes (load and splat in one). */
  v128Load64Splat(offset: number): this { return this.simd(0x0a, 3, offset); }
  /** Pops a v128 and an address; stores the 16 bytes at address + offset. */
  v128Store(offset: number): this { return this.simd(0x0b, 4, offset); }
  /** Pushes the v128 of 16 zero bytes: f64x2 (+0, +0). */
  v128Zero(): this { return this.op(0xfd, ...unsignedLeb(0x0c), ...new Array<number>(16).fill(0)); }
  /** Pops an f64; pushes the f64x2 with it in both lanes. */
  f64x2Splat(): this { return this.op(0xfd, ...unsignedLeb(0x14)); }
  /** Lane-wise sum of two f64x2, each lane rounded as a scalar f64 addition. */
  f64x2Add(): this { return this.op(0xfd, ...unsignedLeb(0xf0)); }
  /** Lane-wise product of two f64x2, each lane rounded as a scalar f64 multiplication. */
  f64x2Mul(): this { return this.op(0xfd, ...unsignedLeb(0xf2)); }

  private simd(opcode: number, align: number, offset: number): this {
    return this.op(0xfd, ...unsignedLeb(opcode), ...unsignedLeb(align), ...unsignedLeb(offset));
  }

  private op(...bytes: number[]): this {
    for (const b of bytes) this.code.push(b);
    return this;
  }

  /** The function's entry in the code section (spec 5.5.13): size, locals grouped by runs of one type, code, `end`. */
  encode(): number[] {
    const runs: number[][] = [];
    for (let i = 0; i < this.locals.length;) {
      let j = i;
      while (j < this.locals.length && this.locals[j] === this.locals[i]) j++;
      runs.push([...unsignedLeb(j - i), this.locals[i]]);
      i = j;
    }
    const body = [...vector(runs), ...this.code, 0x0b];
    return [...unsignedLeb(body.length), ...body];
  }
}

/** One exported function of a module: its name, and its body (which knows its parameters; no results). */
export interface ExportedFunction {
  name: string;
  body: FunctionBody;
}

/**
 * The bytes of a module that imports its memory as `env.memory` (at least `minPages` pages of
 * 64 KiB) and exports `functions`, each `(params) → ()`.
 *
 * Sections in the order the spec requires: type (1), import (2), function (3), export (7), code (10).
 */
export function assembleModule(minPages: number, functions: readonly ExportedFunction[]): Uint8Array<ArrayBuffer> {
  // One function type per function, `0x60 params results` (spec 5.3.6); results are always empty.
  const types = functions.map((f) => [0x60, ...vector(f.body.params.map((t) => [t])), 0]);
  // Import kind 0x02 is a memory; limits flag 0x00 means "a minimum, no maximum" (spec 5.5.5).
  const memoryImport = [...name('env'), ...name('memory'), 0x02, 0x00, ...unsignedLeb(minPages)];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, // magic "\0asm"
    0x01, 0x00, 0x00, 0x00, // version 1
    ...section(1, vector(types)),
    ...section(2, vector([memoryImport])),
    ...section(3, vector(functions.map((_, i) => unsignedLeb(i)))),
    // Export kind 0x00 is a function, by index (spec 5.5.10).
    ...section(7, vector(functions.map((f, i) => [...name(f.name), 0x00, ...unsignedLeb(i)]))),
    ...section(10, vector(functions.map((f) => f.body.encode()))),
  ];
  return Uint8Array.from(bytes);
}
