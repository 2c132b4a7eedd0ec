/** maflow/kernels: the matrix-product kernels under matmul and MADE's masked layers, and the switches
 * that steer them: which kernel runs (setKernelMode), whether its tiles run in WebAssembly SIMD or plain
 * JavaScript (setGemmBackend), how many worker threads (setNumThreads,
 * startThreads), and the mask plans that let a product skip a mask's zero blocks. Settings are
 * process-wide: they apply to every entry of the package (maflow, maflow/node, …) alike.
 * @module maflow/kernels
 */
export {
  gemm, gemmReference, gemmStaircase, gemmStaircaseReference, gemmProduct, type GemmOptions, type GemmRequest, type Staircase,
} from '../../autodiff/kernels/gemm.js';
export { maskPlan, type MaskPlan } from '../../autodiff/kernels/mask-plan.js';
export {
  setKernelMode, getKernelMode, withKernelMode, setNumThreads, getNumThreads, MAX_THREADS, type KernelMode,
  setGemmBackend, getGemmBackend, withGemmBackend, simdAvailable, type GemmBackend,
} from '../../autodiff/kernels/config.js';
export { startThreads, stopThreads, threadStats, type ThreadStats } from '../../autodiff/kernels/threads.js';
