// Why the elementwise ops are defined by rows that call a kernel, and how much work one call of a row does.

/**
 * Output elements per call of an op's row (binary.ts, unary.ts).
 *
 * Each elementwise op is one row: its value `f: (kernel, job) => kernel(job, f)` and its
 * derivatives `df: (kernel, job) => kernel(job, f′…)`, handed to one shared kernel per direction
 * that runs the loop the job asks for. A record `{ f, f′ }` passed to shared loops would be simpler,
 * but V8 keeps one type feedback per function of the source, so a shared loop that calls many
 * different `f`s goes megamorphic and calls each element out of line (5–7× slower than a loop with
 * `a[i] + b[i]` written in it); so do loops made per op by a factory, which share their source. A
 * row is a function of its own in the source, so V8 compiles it on its own: it inlines the kernel
 * and the loop into it, and the arrows the row passes are known there, so they are inlined too.
 * Each op gets loops as fast as hand-written ones from one text, without `eval` (which a browser's
 * content security policy may forbid). Only the kernel may be passed to a row: a second function
 * there would make the row's call site megamorphic again.
 *
 * What keeps this working, each learnt by measuring (`npm run bench:ops`; measure again after any
 * change to the rows or kernels):
 *
 * - Slices. A long loop makes the function it sits in hot, and V8 then compiles that function
 *   alone: if the loops of a large tensor ran whole inside the shared loop functions, V8 would
 *   compile those with a megamorphic `f` and seldom the row. Run in slices of SLICE elements, the
 *   row itself is called often enough to be compiled with its loops inlined, for about one more
 *   call per thousand elements.
 * - Value and derivatives apart. A row compiled while only forwards had run was thrown away when
 *   the first backward came; V8 then compiled the kernel alone, and a kernel whose own compiled
 *   code has inlined much is no longer inlined anywhere (below): every op fell back to a call per
 *   element, five times slower. Two functions per op are each compiled for one direction.
 * - Small kernels. V8 inlines a function only while the code it brings stays under a budget
 *   (about 900 bytes of bytecode), counting what the function's own compiled code has inlined.
 *   Three more loop functions in binary.ts's kernel (a one-index loop for equal shapes) pushed it
 *   past that.
 */
export const SLICE = 1024;
