import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  Adam, AutoregressiveNetwork, AutoregressiveTransform, BatchNormalization, Chain, Dense, DistributionLambda, EarlyStopping,
  InputLayer, Invert, MaskedAutoregressiveFlow, MultivariateNormalDiag, Normal, Permute, PermuteTransform, Random, Reverse,
  Scale, SGD, Sequential, Shift, Tensor, TransformedDistribution, ValueError, loadModel, registerDistributionFn, tensor,
  zeros, FlowLayer, maskedAutoregressiveFlowStack, setLimits,
} from '../../lib/node/index.js';
import { ProgressBar, getLoss } from '../../lib/entries/layers.js';
import { clip, gather, logSumExp, matmul, pow, reshape, sum, transpose, concat, slice } from '../../lib/entries/ops.js';
import { createDegrees, createInputOrder, getActivation, makeMasks, makeMasks as makeMasksFn } from '../../lib/entries/made.js';
import { getInitializer, registerOptimizer } from '../../lib/entries/optimizers.js';
import { parseCsv, trainValidationTestSplit } from '../../lib/entries/data.js';
import { registerLayer } from '../../lib/entries/serialization.js';
import { setKernelMode } from '../../lib/entries/kernels.js';
import { throwFromSmallChild } from '../helpers/small-child.js';

// The bad-call catalogue: every public entry point, fed what a user gets wrong. Each call must
// throw an Error subclass of the expected kind (TypeError: wrong kind of value; RangeError: a
// number out of range; ValueError: wrong shape or content) whose message names the function
// (`where`) and the argument (`arg`). A call that returns instead fails, and a returned value is
// also checked for NaN, so that nothing quietly turns bad input into NaN.

type ErrorKind = typeof TypeError | typeof RangeError | typeof ValueError;

interface BadCall {
  /** What the call does wrong, as the test title. */
  title: string;
  call: () => unknown;
  kind: ErrorKind;
  /** The class and method the message must name. */
  where: string;
  /** The argument (or option) the message must name, as it appears there. */
  arg: string;
}

const standardNormal2d = (t: Tensor): MultivariateNormalDiag => new MultivariateNormalDiag({ loc: zeros([...t.shape.slice(0, -1), 2]) });
registerDistributionFn('badCallsNormal2d', standardNormal2d);

function made3(): AutoregressiveNetwork {
  return new AutoregressiveNetwork({ params: 2, eventShape: 3, hiddenUnits: [4], activation: 'relu', seed: 1 });
}

function flow3(): TransformedDistribution {
  return new TransformedDistribution({
    distribution: new MultivariateNormalDiag({ loc: [0, 0, 0] }),
    bijector: new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made3() }),
  });
}

function flowModel(): Sequential {
  const model = new Sequential([
    new InputLayer({ inputShape: [0] }),
    new DistributionLambda('badCallsNormal2d'),
    new AutoregressiveTransform(new AutoregressiveNetwork({ params: 2, hiddenUnits: [4], seed: 2 })),
  ]);
  model.compile({ optimizer: new Adam(), loss: 'negativeLogLikelihood' });
  return model;
}

/** A conditional flow on 2-D events given a 1-D condition. */
function conditionalFlow(): TransformedDistribution {
  const made = new AutoregressiveNetwork({ params: 2, eventShape: 2, hiddenUnits: [4], conditional: true, conditionalEventShape: 1, seed: 5 });
  return new TransformedDistribution({ distribution: new MultivariateNormalDiag({ loc: [0, 0] }), bijector: new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made }) });
}

function conditionalModel(): Sequential {
  const made = new AutoregressiveNetwork({ params: 2, eventShape: 2, hiddenUnits: [4], conditional: true, conditionalEventShape: 1, seed: 6 });
  return new Sequential([new InputLayer({ inputShape: [1] }), new DistributionLambda('badCallsNormal2d'), new AutoregressiveTransform(made)]);
}

/** A model whose 33 rows leave a batch of 1 for batch norm at batchSize 32. */
function bnModel(): Sequential {
  const m = new Sequential([new InputLayer({ inputShape: [0] }), new FlowLayer(maskedAutoregressiveFlowStack({ eventSize: 2, numLayers: 1, hiddenUnits: [4], batchNorm: true, seed: 1 }))]);
  m.compile({ optimizer: new Adam(), loss: 'negativeLogLikelihood' });
  return m;
}

/** A saved flow model with one change to its first AutoregressiveTransform's network config. */
function savedWith(name: string, change: Record<string, unknown>): string {
  const json = flowModel().toJSON();
  Object.assign(json.layers[2].config.made as Record<string, unknown>, change);
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(json));
  return file;
}

/** Runs `call` with a limit lowered, then puts the limits back. */
function withLimit<T>(limits: Parameters<typeof setLimits>[0], call: () => T): T {
  const previous = setLimits(limits);
  try {
    return call();
  } finally {
    setLimits(previous);
  }
}

const rows4 = zeros([4, 0]);
const y4 = tensor([[0, 1], [1, 0], [2, 2], [-1, 0.5]]);
const withNaN = tensor([[0, 1], [1, NaN], [2, 2], [-1, 0.5]]);
const withInf = tensor([[0, 1], [1, 0], [Infinity, 2], [-1, 0.5]]);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maflow-bad-calls-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const cases: BadCall[] = [
  // ---- tensors and ops ----
  { title: 'tensor with a ragged array', call: () => tensor([[1, 2], [3]] as never), kind: ValueError, where: 'tensor', arg: "'values'" },
  { title: 'tensor with values that do not fit the shape', call: () => tensor([1, 2, 3], [2, 2]), kind: ValueError, where: 'tensor', arg: 'shape' },
  { title: 'tensor with a misspelt option', call: () => tensor([1, 2], [2], { requiresgrad: true } as never), kind: TypeError, where: 'tensor', arg: "'requiresgrad'" },
  { title: 'zeros with a non-boolean requiresGrad', call: () => zeros([2], { requiresGrad: 1 } as never), kind: TypeError, where: 'full', arg: "'requiresGrad'" },
  { title: 'zeros with a negative dimension', call: () => zeros([2, -1]), kind: RangeError, where: 'full', arg: 'shape' },
  { title: 'reshape to another size', call: () => reshape(zeros([2, 3]), [4]), kind: ValueError, where: 'reshape', arg: "'shape'" },
  { title: 'transpose with a repeated axis', call: () => transpose(zeros([2, 3]), [0, 0]), kind: ValueError, where: 'transpose', arg: "'perm'" },
  { title: 'gather an index out of range', call: () => gather(zeros([2, 3]), [5]), kind: RangeError, where: 'gather', arg: "'indices'" },
  { title: 'sum over an axis the tensor lacks', call: () => sum(zeros([2, 3]), 2), kind: RangeError, where: 'sum', arg: 'axis' },
  { title: 'logSumExp over an axis the tensor lacks', call: () => logSumExp(zeros([2]), -2), kind: RangeError, where: 'logSumExp', arg: 'axis' },
  { title: 'matmul of mismatched inner dimensions', call: () => matmul(zeros([2, 3]), zeros([4, 5])), kind: ValueError, where: 'matmul', arg: 'a is [2,3], b is [4,5]' },
  { title: 'matmul with a non-tensor', call: () => matmul(zeros([2, 2]), [[1]] as never), kind: TypeError, where: 'matmul', arg: "'b'" },
  { title: 'pow with a NaN exponent', call: () => pow(zeros([2]), NaN), kind: TypeError, where: 'pow', arg: "'p'" },
  { title: 'clip with lo > hi', call: () => clip(zeros([2]), 1, -1), kind: RangeError, where: 'clip', arg: "'lo'" },
  { title: 'Random with a NaN seed', call: () => new Random(NaN), kind: RangeError, where: 'Random', arg: "'seed'" },
  { title: 'setKernelMode with an unknown mode', call: () => setKernelMode('fastest' as never), kind: TypeError, where: 'setKernelMode', arg: 'mode' },

  // ---- optimizers ----
  { title: 'Adam with learningRate 0', call: () => new Adam({ learningRate: 0 }), kind: RangeError, where: 'Adam', arg: "'learningRate'" },
  { title: 'Adam with learningRate NaN', call: () => new Adam({ learningRate: NaN }), kind: RangeError, where: 'Adam', arg: "'learningRate'" },
  { title: 'Adam with learningRate Infinity', call: () => new Adam({ learningRate: Infinity }), kind: RangeError, where: 'Adam', arg: "'learningRate'" },
  { title: 'Adam with a negative learningRate', call: () => new Adam({ learningRate: -1e-3 }), kind: RangeError, where: 'Adam', arg: "'learningRate'" },
  { title: 'Adam with a misspelt option', call: () => new Adam({ learningrate: 1e-3 } as never), kind: TypeError, where: 'Adam', arg: "'learningrate'" },
  { title: 'Adam with beta1 = 1', call: () => new Adam({ beta1: 1 }), kind: RangeError, where: 'Adam', arg: "'beta1'" },
  { title: 'Adam with both clip norms', call: () => new Adam({ clipNorm: 1, globalClipNorm: 1 }), kind: ValueError, where: 'Adam', arg: "'globalClipNorm'" },
  { title: 'setting a learning rate ≤ 0', call: () => { new Adam().learningRate = -1; }, kind: RangeError, where: 'Adam', arg: "'learningRate'" },
  { title: 'SGD with negative momentum', call: () => new SGD({ momentum: -0.1 }), kind: RangeError, where: 'SGD', arg: "'momentum'" },
  { title: 'SGD with a string nesterov', call: () => new SGD({ nesterov: 'yes' } as never), kind: TypeError, where: 'SGD', arg: "'nesterov'" },
  { title: 'Optimizer.step with a non-array', call: () => new Adam().step('w' as never), kind: TypeError, where: 'Adam.step', arg: "'params'" },
  { title: 'Optimizer.setState with a non-object', call: () => new Adam().setState(null as never), kind: TypeError, where: 'Adam.setState', arg: "'state'" },

  // ---- MADE ----
  { title: 'AutoregressiveNetwork with a misspelt option (hiddenUnit)', call: () => new AutoregressiveNetwork({ params: 2, hiddenUnit: [4] } as never), kind: TypeError, where: 'AutoregressiveNetwork', arg: "'hiddenUnit'" },
  { title: 'AutoregressiveNetwork with params 0', call: () => new AutoregressiveNetwork({ params: 0 }), kind: RangeError, where: 'AutoregressiveNetwork', arg: "'params'" },
  { title: 'AutoregressiveNetwork without options', call: () => new AutoregressiveNetwork(undefined as never), kind: TypeError, where: 'AutoregressiveNetwork', arg: "'options'" },
  { title: 'AutoregressiveNetwork with a rank-2 eventShape', call: () => new AutoregressiveNetwork({ params: 2, eventShape: [2, 2] }), kind: ValueError, where: 'AutoregressiveNetwork', arg: "'eventShape'" },
  { title: 'AutoregressiveNetwork with a zero-width hidden layer', call: () => new AutoregressiveNetwork({ params: 2, hiddenUnits: [4, 0] }), kind: RangeError, where: 'AutoregressiveNetwork', arg: "'hiddenUnits'" },
  { title: 'AutoregressiveNetwork with hiddenUnits a number', call: () => new AutoregressiveNetwork({ params: 2, hiddenUnits: 4 as never }), kind: TypeError, where: 'AutoregressiveNetwork', arg: "'hiddenUnits'" },
  { title: 'AutoregressiveNetwork with an unknown activation', call: () => new AutoregressiveNetwork({ params: 2, activation: 'relux' as never }), kind: TypeError, where: 'AutoregressiveNetwork', arg: "'activation'" },
  { title: 'AutoregressiveNetwork with an unknown inputOrder', call: () => new AutoregressiveNetwork({ params: 2, inputOrder: 'shuffled' as never }), kind: TypeError, where: 'AutoregressiveNetwork', arg: "'inputOrder'" },
  { title: 'AutoregressiveNetwork with an inputOrder that is not a permutation', call: () => new AutoregressiveNetwork({ params: 2, eventShape: 3, inputOrder: [1, 1, 2] }), kind: ValueError, where: 'AutoregressiveNetwork', arg: "'inputOrder'" },
  { title: 'AutoregressiveNetwork with unknown hiddenDegrees', call: () => new AutoregressiveNetwork({ params: 2, hiddenDegrees: 'uniform' as never }), kind: TypeError, where: 'AutoregressiveNetwork', arg: "'hiddenDegrees'" },
  { title: 'AutoregressiveNetwork conditional without eventShape', call: () => new AutoregressiveNetwork({ params: 2, conditional: true, conditionalEventShape: 2 }), kind: ValueError, where: 'AutoregressiveNetwork', arg: "'eventShape'" },
  { title: 'AutoregressiveNetwork with a numeric useBias', call: () => new AutoregressiveNetwork({ params: 2, useBias: 1 as never }), kind: TypeError, where: 'AutoregressiveNetwork', arg: "'useBias'" },
  { title: 'AutoregressiveNetwork with an unknown initializer', call: () => new AutoregressiveNetwork({ params: 2, kernelInitializer: 'glorot' as never }), kind: TypeError, where: 'AutoregressiveNetwork', arg: "'kernelInitializer'" },
  { title: 'AutoregressiveNetwork with a NaN seed', call: () => new AutoregressiveNetwork({ params: 2, seed: NaN }), kind: RangeError, where: 'AutoregressiveNetwork', arg: "'seed'" },
  { title: 'AutoregressiveNetwork with a numeric name', call: () => new AutoregressiveNetwork({ params: 2, name: 3 as never }), kind: TypeError, where: 'AutoregressiveNetwork', arg: "'name'" },
  { title: 'AutoregressiveNetwork.call with the wrong last dimension', call: () => made3().call(zeros([2, 4])), kind: ValueError, where: 'AutoregressiveNetwork.call', arg: "'x'" },
  { title: 'AutoregressiveNetwork.call with a misspelt option', call: () => made3().call(zeros([2, 3]), { conditionalinput: zeros([2, 1]) } as never), kind: TypeError, where: 'AutoregressiveNetwork.call', arg: "'conditionalinput'" },
  { title: 'AutoregressiveNetwork.setWeights with too few tensors', call: () => made3().setWeights([zeros([3, 4])]), kind: ValueError, where: 'AutoregressiveNetwork.setWeights', arg: "'weights'" },
  { title: 'createDegrees with eventSize 0', call: () => createDegrees({ eventSize: 0 }), kind: RangeError, where: 'createDegrees', arg: "'eventSize'" },
  { title: 'createDegrees with a misspelt option', call: () => createDegrees({ eventSize: 3, hiddenUnit: [2] } as never), kind: TypeError, where: 'createDegrees', arg: "'hiddenUnit'" },
  { title: 'createInputOrder with a fractional eventSize', call: () => createInputOrder(2.5), kind: RangeError, where: 'createInputOrder', arg: "'eventSize'" },
  { title: 'makeMasks with params 0', call: () => makeMasks({ params: 0, eventSize: 3 }), kind: RangeError, where: 'makeMasks', arg: "'params'" },

  // ---- bijectors ----
  { title: 'Shift with a string', call: () => new Shift('a' as never), kind: TypeError, where: 'Shift', arg: "'shift'" },
  { title: 'Shift with a NaN entry', call: () => new Shift([0, NaN]), kind: RangeError, where: 'Shift', arg: "'shift'" },
  { title: 'Shift with a misspelt option', call: () => new Shift({ shift: 1, nmae: 's' } as never), kind: TypeError, where: 'Shift', arg: "'nmae'" },
  { title: 'Scale with a zero scale', call: () => new Scale({ scale: [1, 0] }), kind: RangeError, where: 'Scale', arg: "'scale'" },
  { title: 'Scale with both scale and logScale', call: () => new Scale({ scale: 1, logScale: 0 }), kind: ValueError, where: 'Scale', arg: "'logScale'" },
  { title: 'Scale with a misspelt option', call: () => new Scale({ scal: 2 } as never), kind: TypeError, where: 'Scale', arg: "'scal'" },
  { title: 'Permute with a repeated index', call: () => new Permute({ permutation: [0, 0] }), kind: ValueError, where: 'Permute', arg: "'permutation'" },
  { title: 'Reverse with eventSize 0', call: () => new Reverse({ eventSize: 0 }), kind: RangeError, where: 'Reverse', arg: "'eventSize'" },
  { title: 'BatchNormalization with momentum 2', call: () => new BatchNormalization({ momentum: 2 }), kind: RangeError, where: 'BatchNormalization', arg: "'momentum'" },
  { title: 'BatchNormalization with a string epsilon', call: () => new BatchNormalization({ epsilon: '1e-3' as never }), kind: TypeError, where: 'BatchNormalization', arg: "'epsilon'" },
  { title: 'BatchNormalization with a misspelt option', call: () => new BatchNormalization({ eventsize: 2 } as never), kind: TypeError, where: 'BatchNormalization', arg: "'eventsize'" },
  { title: 'Chain of a non-array', call: () => new Chain('x' as never), kind: TypeError, where: 'Chain', arg: "'bijectors'" },
  { title: 'Chain with a misspelt option', call: () => new Chain([], { nane: 'c' } as never), kind: TypeError, where: 'Chain', arg: "'nane'" },
  { title: 'Invert of a number', call: () => new Invert(5 as never), kind: TypeError, where: 'Invert', arg: "'bijector'" },
  { title: 'MaskedAutoregressiveFlow with neither function', call: () => new MaskedAutoregressiveFlow({}), kind: ValueError, where: 'MaskedAutoregressiveFlow', arg: "'shiftAndLogScaleFn'" },
  { title: 'MaskedAutoregressiveFlow with a misspelt option', call: () => new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made3(), evenNdims: 1 } as never), kind: TypeError, where: 'MaskedAutoregressiveFlow', arg: "'evenNdims'" },
  { title: 'MaskedAutoregressiveFlow with a logScaleClamp that excludes 0', call: () => new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made3(), logScaleClamp: { min: 1, max: 2 } }), kind: RangeError, where: 'MaskedAutoregressiveFlow', arg: "'logScaleClamp'" },
  { title: 'MaskedAutoregressiveFlow with a string logScaleClamp', call: () => new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made3(), logScaleClamp: '5' as never }), kind: TypeError, where: 'MaskedAutoregressiveFlow', arg: "'logScaleClamp'" },
  { title: 'MaskedAutoregressiveFlow with a 3-parameter network', call: () => new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: new AutoregressiveNetwork({ params: 3 }) }), kind: ValueError, where: 'MaskedAutoregressiveFlow', arg: "'shiftAndLogScaleFn'" },
  { title: 'MaskedAutoregressiveFlow.forward with the wrong event size', call: () => new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made3() }).forward(zeros([2, 4])), kind: ValueError, where: 'MaskedAutoregressiveFlow.forward', arg: "'x'" },
  { title: 'MaskedAutoregressiveFlow.inverse of a string', call: () => new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made3() }).inverse('y' as never), kind: TypeError, where: 'MaskedAutoregressiveFlow.inverse', arg: "'y'" },
  { title: 'forwardLogDetJacobian with eventNdims above the rank', call: () => new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made3() }).forwardLogDetJacobian(zeros([2, 3]), { eventNdims: 3 }), kind: RangeError, where: 'MaskedAutoregressiveFlow.forwardLogDetJacobian', arg: "'eventNdims'" },
  { title: 'inverse with kwargs for a bijector that is not there', call: () => new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made3() }).inverse(zeros([2, 3]), { maf9: { conditionalInput: zeros([2, 1]) } }), kind: ValueError, where: 'MaskedAutoregressiveFlow.inverse', arg: "'maf9'" },

  // ---- distributions ----
  { title: 'Normal with a negative scale', call: () => new Normal({ loc: 0, scale: -1 }), kind: RangeError, where: 'Normal', arg: "'scale'" },
  { title: 'Normal with a NaN loc', call: () => new Normal({ loc: NaN, scale: 1 }), kind: RangeError, where: 'Normal', arg: "'loc'" },
  { title: 'Normal with a misspelt option', call: () => new Normal({ loc: 0, scale: 1, nam: 'n' } as never), kind: TypeError, where: 'Normal', arg: "'nam'" },
  { title: 'Normal without scale', call: () => new Normal({ loc: 0 } as never), kind: TypeError, where: 'Normal', arg: "'scale'" },
  { title: 'Normal with loc and scale that do not broadcast', call: () => new Normal({ loc: [0, 0], scale: [1, 1, 1] }), kind: ValueError, where: 'Normal', arg: "'scale'" },
  { title: 'Normal.logProb of NaN', call: () => new Normal({ loc: 0, scale: 1 }).logProb([0, NaN]), kind: ValueError, where: 'Normal.logProb', arg: "'x'" },
  { title: 'MultivariateNormalDiag with neither loc nor scaleDiag', call: () => new MultivariateNormalDiag({}), kind: ValueError, where: 'MultivariateNormalDiag', arg: "'scaleDiag'" },
  { title: 'MultivariateNormalDiag with a scalar loc', call: () => new MultivariateNormalDiag({ loc: 0 }), kind: ValueError, where: 'MultivariateNormalDiag', arg: "'loc'" },
  { title: 'MultivariateNormalDiag with a misspelt option', call: () => new MultivariateNormalDiag({ loc: [0], scale: [1] } as never), kind: TypeError, where: 'MultivariateNormalDiag', arg: "'scale'" },
  { title: 'MultivariateNormalDiag.logProb with the wrong event size', call: () => new MultivariateNormalDiag({ loc: [0, 0] }).logProb(zeros([3, 3])), kind: ValueError, where: 'MultivariateNormalDiag.logProb', arg: "'x'" },
  { title: 'MultivariateNormalDiag.logProb of NaN data', call: () => new MultivariateNormalDiag({ loc: [0, 0] }).logProb(withNaN), kind: ValueError, where: 'MultivariateNormalDiag.logProb', arg: "'x'" },
  { title: 'MultivariateNormalDiag.logProb of infinite data', call: () => new MultivariateNormalDiag({ loc: [0, 0] }).logProb(withInf), kind: ValueError, where: 'MultivariateNormalDiag.logProb', arg: "'x'" },
  { title: 'logProb with a misspelt option', call: () => new MultivariateNormalDiag({ loc: [0, 0] }).logProb(y4, { validateArg: false } as never), kind: TypeError, where: 'MultivariateNormalDiag.logProb', arg: "'validateArg'" },
  { title: 'sample with a negative count', call: () => new MultivariateNormalDiag({ loc: [0, 0] }).sample(-1), kind: RangeError, where: 'MultivariateNormalDiag.sample', arg: "'sampleShape'" },
  { title: 'sample with a misspelt option', call: () => new MultivariateNormalDiag({ loc: [0, 0] }).sample(2, { sed: 1 } as never), kind: TypeError, where: 'MultivariateNormalDiag.sample', arg: "'sed'" },
  { title: 'sample with a NaN seed', call: () => new MultivariateNormalDiag({ loc: [0, 0] }).sample(2, { seed: NaN }), kind: RangeError, where: 'MultivariateNormalDiag.sample', arg: "'seed'" },
  { title: 'TransformedDistribution of a vector bijector on a scalar base', call: () => new TransformedDistribution({ distribution: new Normal({ loc: 0, scale: 1 }), bijector: new MaskedAutoregressiveFlow({ shiftAndLogScaleFn: made3() }) }), kind: ValueError, where: 'TransformedDistribution', arg: "'bijector'" },
  { title: 'TransformedDistribution of a number', call: () => new TransformedDistribution({ distribution: 5 as never, bijector: new Shift(1) }), kind: TypeError, where: 'TransformedDistribution', arg: "'distribution'" },
  { title: 'TransformedDistribution with a misspelt option', call: () => new TransformedDistribution({ distribution: new Normal({ loc: 0, scale: 1 }), bijector: new Shift(1), bijectr: 1 } as never), kind: TypeError, where: 'TransformedDistribution', arg: "'bijectr'" },
  { title: 'a flow\'s logProb with the wrong event size', call: () => flow3().logProb(zeros([2, 2])), kind: ValueError, where: 'TransformedDistribution.logProb', arg: "'x'" },
  { title: 'a flow\'s logProb of NaN data', call: () => flow3().logProb([[0, NaN, 1]]), kind: ValueError, where: 'TransformedDistribution.logProb', arg: "'x'" },

  // ---- layers ----
  { title: 'Dense with units 0', call: () => new Dense({ units: 0 }), kind: RangeError, where: 'Dense', arg: "'units'" },
  { title: 'Dense with a misspelt option', call: () => new Dense({ unit: 2 } as never), kind: TypeError, where: 'Dense', arg: "'unit'" },
  { title: 'Dense with an unknown activation', call: () => new Dense({ units: 2, activation: 'relu6' as never }), kind: TypeError, where: 'Dense', arg: "'activation'" },
  { title: 'Dense.call with the wrong last dimension', call: () => { const d = new Dense({ units: 2, seed: 1 }); d.call(zeros([1, 3])); return d.call(zeros([1, 4])); }, kind: ValueError, where: 'Dense.call', arg: "'x'" },
  { title: 'InputLayer with a negative dimension', call: () => new InputLayer({ inputShape: [-1] }), kind: RangeError, where: 'InputLayer', arg: "'inputShape'" },
  { title: 'InputLayer without inputShape', call: () => new InputLayer({} as never), kind: TypeError, where: 'InputLayer', arg: "'inputShape'" },
  { title: 'DistributionLambda of a number', call: () => new DistributionLambda(5 as never), kind: TypeError, where: 'DistributionLambda', arg: "'makeDistributionFn'" },
  { title: 'DistributionLambda of an unregistered name', call: () => new DistributionLambda('nowhere'), kind: ValueError, where: 'DistributionLambda', arg: "'makeDistributionFn'" },
  { title: 'AutoregressiveTransform of a string', call: () => new AutoregressiveTransform('made' as never), kind: TypeError, where: 'AutoregressiveTransform', arg: "'made'" },
  { title: 'AutoregressiveTransform of a 3-parameter network', call: () => new AutoregressiveTransform(new AutoregressiveNetwork({ params: 3 })), kind: ValueError, where: 'AutoregressiveTransform', arg: 'made' },
  { title: 'AutoregressiveTransform with a negative logScaleClamp', call: () => new AutoregressiveTransform(made3(), { logScaleClamp: -1 }), kind: RangeError, where: 'AutoregressiveTransform', arg: "'logScaleClamp'" },
  { title: 'PermuteTransform with an unknown permutation name', call: () => new PermuteTransform({ permutation: 'forward' as never }), kind: TypeError, where: 'PermuteTransform', arg: "'permutation'" },
  { title: 'registerDistributionFn with an empty name', call: () => registerDistributionFn('', standardNormal2d), kind: TypeError, where: 'registerDistributionFn', arg: "'name'" },
  { title: 'registerLayer with a non-function', call: () => registerLayer('X', 5 as never), kind: TypeError, where: 'registerLayer', arg: "'fromConfig'" },
  { title: 'getActivation of an unknown name', call: () => getActivation('swishy' as never), kind: TypeError, where: 'getActivation', arg: "'activation'" },
  { title: 'getInitializer of an unknown name', call: () => getInitializer('he' as never), kind: TypeError, where: 'getInitializer', arg: "'he'" },
  { title: 'getLoss of an unknown name', call: () => getLoss('nll' as never), kind: TypeError, where: 'getLoss', arg: "'nll'" },

  // ---- Sequential: compile, fit, evaluate, save ----
  { title: 'Sequential of a non-array', call: () => new Sequential('layers' as never), kind: TypeError, where: 'Sequential', arg: "'layers'" },
  { title: 'compile with an optimizer name', call: () => new Sequential([new InputLayer({ inputShape: [1] })]).compile({ optimizer: 'adam' as never, loss: 'meanSquaredError' }), kind: TypeError, where: 'Sequential.compile', arg: "'optimizer'" },
  { title: 'compile with an unknown loss name', call: () => new Sequential([new InputLayer({ inputShape: [1] })]).compile({ optimizer: new Adam(), loss: 'nll' as never }), kind: TypeError, where: 'Sequential.compile', arg: "'loss'" },
  { title: 'fit with batchSize 0', call: () => flowModel().fit(rows4, y4, { batchSize: 0, verbose: 0 }), kind: RangeError, where: 'Sequential.fit', arg: "'batchSize'" },
  { title: 'fit with fractional epochs', call: () => flowModel().fit(rows4, y4, { epochs: 1.5, verbose: 0 }), kind: RangeError, where: 'Sequential.fit', arg: "'epochs'" },
  { title: 'fit with negative stepsPerEpoch', call: () => flowModel().fit(rows4, y4, { stepsPerEpoch: -1, verbose: 0 }), kind: RangeError, where: 'Sequential.fit', arg: "'stepsPerEpoch'" },
  { title: 'fit with a misspelt option', call: () => flowModel().fit(rows4, y4, { batchsize: 2, verbose: 0 } as never), kind: TypeError, where: 'Sequential.fit', arg: "'batchsize'" },
  { title: 'fit with a string shuffle', call: () => flowModel().fit(rows4, y4, { shuffle: 'yes' as never, verbose: 0 }), kind: TypeError, where: 'Sequential.fit', arg: "'shuffle'" },
  { title: 'fit with verbose 3', call: () => flowModel().fit(rows4, y4, { verbose: 3 as never }), kind: RangeError, where: 'Sequential.fit', arg: "'verbose'" },
  { title: 'fit with validationSplit 1', call: () => flowModel().fit(rows4, y4, { validationSplit: 1, verbose: 0 }), kind: RangeError, where: 'Sequential.fit', arg: "'validationSplit'" },
  { title: 'fit with callbacks neither an object nor an array', call: () => flowModel().fit(rows4, y4, { callbacks: 5 as never, verbose: 0 }), kind: TypeError, where: 'Sequential.fit', arg: "'callbacks'" },
  { title: 'fit with NaN in y', call: () => flowModel().fit(rows4, withNaN, { verbose: 0 }), kind: ValueError, where: 'Sequential.fit', arg: "'y' has NaN at row 1, column 1" },
  { title: 'fit with Infinity in y', call: () => flowModel().fit(rows4, withInf, { verbose: 0 }), kind: ValueError, where: 'Sequential.fit', arg: "'y' has Infinity at row 2, column 0" },
  { title: 'fit with x and y of different lengths', call: () => flowModel().fit(zeros([3, 0]), y4, { verbose: 0 }), kind: ValueError, where: 'Sequential.fit', arg: "'y'" },
  { title: 'fit on an empty batch', call: () => flowModel().fit(zeros([0, 0]), zeros([0, 2]), { verbose: 0 }), kind: ValueError, where: 'Sequential.fit', arg: "'x'" },
  { title: 'fit with y of the wrong event size', call: () => flowModel().fit(rows4, zeros([4, 3]), { verbose: 0 }), kind: ValueError, where: 'Sequential.fit', arg: "'y'" },
  { title: 'fit with x that is not an array', call: () => flowModel().fit('x' as never, y4, { verbose: 0 }), kind: TypeError, where: 'Sequential.fit', arg: "'x'" },
  { title: 'evaluate with NaN in y', call: () => flowModel().evaluate(rows4, withNaN), kind: ValueError, where: 'Sequential.evaluate', arg: "'y'" },
  { title: 'evaluate with batchSize -1', call: () => flowModel().evaluate(rows4, y4, { batchSize: -1 }), kind: RangeError, where: 'Sequential.evaluate', arg: "'batchSize'" },
  { title: 'evaluate with a string validateArgs', call: () => flowModel().evaluate(rows4, y4, { validateArgs: 'no' as never }), kind: TypeError, where: 'Sequential.evaluate', arg: "'validateArgs'" },
  { title: 'setWeights with the wrong shapes', call: () => flowModel().setWeights([zeros([1])]), kind: ValueError, where: 'Sequential.setWeights', arg: "'weights'" },
  { title: 'save to an empty path', call: () => flowModel().save(''), kind: TypeError, where: 'Sequential.save', arg: "'path'" },
  { title: 'loadModel of a number', call: () => loadModel(5 as never), kind: TypeError, where: 'loadModel', arg: "'path'" },
  { title: 'fromJSON of truncated text', call: () => Sequential.fromJSON('{"format":'), kind: ValueError, where: 'Sequential.fromJSON', arg: "'json'" },
  { title: 'loadWeights of a file that is not a model', call: async () => { const f = path.join(dir, 'not-a-model.json'); fs.writeFileSync(f, '{"hello":1}'); return flowModel().loadWeights(f); }, kind: ValueError, where: 'Sequential.loadWeights', arg: "'format'" },

  // ---- callbacks, progress, data ----
  { title: 'EarlyStopping with negative patience', call: () => new EarlyStopping({ patience: -1 }), kind: RangeError, where: 'EarlyStopping', arg: "'patience'" },
  { title: 'EarlyStopping with an unknown mode', call: () => new EarlyStopping({ mode: 'maximum' as never }), kind: TypeError, where: 'EarlyStopping', arg: "'mode'" },
  { title: 'ProgressBar with verbose 3', call: () => new ProgressBar(10, { verbose: 3 as never }), kind: RangeError, where: 'ProgressBar', arg: "'verbose'" },
  { title: 'ProgressBar with target 0', call: () => new ProgressBar(0), kind: RangeError, where: 'ProgressBar', arg: "'target'" },
  { title: 'trainValidationTestSplit with a fraction of 1.5', call: () => trainValidationTestSplit(zeros([10, 2]), { validation: 1.5 }), kind: RangeError, where: 'trainValidationTestSplit', arg: "'validation'" },
  { title: 'trainValidationTestSplit with a misspelt fraction', call: () => trainValidationTestSplit(zeros([10, 2]), { valid: 0.2 } as never), kind: TypeError, where: 'trainValidationTestSplit', arg: "'valid'" },
  { title: 'parseCsv of a number', call: () => parseCsv(5 as never), kind: TypeError, where: 'parseCsv', arg: "'text'" },

  // ---- sizes over the limits, checked before anything is allocated (issue 13, class 1) ----
  // The calls that would take gigabytes if a check regressed run in a child process with a small
  // heap and address space (see spec/helpers/small-child.ts), so a regression fails its case, not the machine.
  { title: 'AutoregressiveNetwork with hiddenUnits [1e9]', call: () => throwFromSmallChild('new m.AutoregressiveNetwork({ params: 2, eventShape: 2, hiddenUnits: [1e9] })'), kind: RangeError, where: 'AutoregressiveNetwork', arg: 'maxTensorElements' },
  { title: 'AutoregressiveNetwork with eventShape 1e8', call: () => throwFromSmallChild('new m.AutoregressiveNetwork({ params: 2, eventShape: 1e8 })'), kind: RangeError, where: 'AutoregressiveNetwork', arg: 'maxTensorElements' },
  { title: 'AutoregressiveNetwork built later for E = 1e5', call: () => throwFromSmallChild('new m.AutoregressiveNetwork({ params: 2 }).build(1e5)'), kind: RangeError, where: 'AutoregressiveNetwork', arg: 'maxTensorElements' },
  { title: 'AutoregressiveNetwork over maxModelParams', call: () => withLimit({ maxModelParams: 100 }, () => new AutoregressiveNetwork({ params: 2, eventShape: 3, hiddenUnits: [16] })), kind: RangeError, where: 'AutoregressiveNetwork', arg: 'maxModelParams = 100' },
  { title: 'AutoregressiveNetwork conditional kernel over maxModelParams', call: () => withLimit({ maxModelParams: 1000 }, () => new AutoregressiveNetwork({ params: 2, eventShape: 2, hiddenUnits: [4], conditional: true, conditionalEventShape: 1000 })), kind: RangeError, where: 'AutoregressiveNetwork', arg: 'maxModelParams' },
  { title: 'sample(1e9)', call: () => throwFromSmallChild('new m.MultivariateNormalDiag({ loc: [0, 0] }).sample(1e9, { seed: 1 })'), kind: RangeError, where: 'MultivariateNormalDiag.sample', arg: 'maxTensorElements' },
  { title: 'sample of a shape [1e5, 1e5]', call: () => throwFromSmallChild('new m.Normal({ loc: 0, scale: 1 }).sample([1e5, 1e5], { seed: 1 })'), kind: RangeError, where: 'Normal.sample', arg: "'sampleShape' [100000,100000]" },
  { title: 'sampleAndLogProb over maxCallBytes', call: () => withLimit({ maxCallBytes: 1000 }, () => flow3().sampleAndLogProb(100, { seed: 1 })), kind: RangeError, where: 'TransformedDistribution.sampleAndLogProb', arg: 'maxCallBytes = 1,000' },
  { title: 'a flow\'s logProb over maxCallBytes', call: () => withLimit({ maxCallBytes: 1000 }, () => flow3().logProb(zeros([100, 3]))), kind: RangeError, where: 'TransformedDistribution.logProb', arg: 'maxCallBytes' },
  { title: 'zeros of [1e5, 1e5]', call: () => throwFromSmallChild('m.zeros([1e5, 1e5])'), kind: RangeError, where: 'full', arg: "'shape' [100000,100000]" },
  { title: 'broadcastTo a huge shape', call: () => throwFromSmallChild('m.broadcastTo(m.zeros([1]), [1e5, 1e5])'), kind: RangeError, where: 'broadcastTo', arg: 'maxTensorElements' },
  { title: 'add of [1e5, 1] and [1, 1e5]', call: () => throwFromSmallChild('m.add(m.zeros([1e5, 1]), m.zeros([1, 1e5]))'), kind: RangeError, where: 'add', arg: 'the broadcast shape [100000,100000] is 10,000,000,000 elements' },
  { title: 'matmul of [1e5, 1] by [1, 1e5]', call: () => throwFromSmallChild('m.matmul(m.zeros([1e5, 1]), m.zeros([1, 1e5]))'), kind: RangeError, where: 'matmul', arg: 'maxTensorElements' },
  { title: 'InputLayer with inputShape [1e9]', call: () => new InputLayer({ inputShape: [1e9] }), kind: RangeError, where: 'InputLayer', arg: "'inputShape' [1000000000]" },
  { title: 'Dense with units 1e9, at build', call: () => throwFromSmallChild('new m.Dense({ units: 1e9, seed: 1 }).build([1, 4])'), kind: RangeError, where: 'Dense.build', arg: 'maxTensorElements' },
  { title: 'createDegrees with hiddenUnits [1e9]', call: () => throwFromSmallChild('m.createDegrees({ eventSize: 2, hiddenUnits: [1e9] })'), kind: RangeError, where: 'createDegrees', arg: 'maxTensorElements' },
  { title: 'createInputOrder with eventSize 1e9', call: () => throwFromSmallChild('m.createInputOrder(1e9)'), kind: RangeError, where: 'createInputOrder', arg: "'eventSize'" },
  { title: 'makeMasks with eventSize 1e5', call: () => throwFromSmallChild('m.makeMasks({ params: 2, eventSize: 1e5 })'), kind: RangeError, where: 'makeMasks', arg: 'maxTensorElements' },
  { title: 'BatchNormalization with eventSize 1e9', call: () => throwFromSmallChild('new m.BatchNormalization({ eventSize: 1e9 })'), kind: RangeError, where: 'full', arg: 'maxTensorElements' },
  { title: 'loadModel of a file with hiddenUnits [1e9]', call: () => throwFromSmallChild(`m.loadModel(${JSON.stringify(savedWith('hidden-1e9.json', { hiddenUnits: [1e9] }))})`), kind: RangeError, where: 'loadModel', arg: 'hiddenUnits [1000000000]' },
  { title: 'loadModel of a file with eventShape [1e8]', call: () => throwFromSmallChild(`m.loadModel(${JSON.stringify(savedWith('event-1e8.json', { eventShape: [1e8] }))})`), kind: RangeError, where: 'loadModel', arg: 'maxTensorElements' },
  { title: 'fromJSON of a file with inputShape [1e9]', call: () => { const j = flowModel().toJSON(); j.inputShape = [1e9]; return throwFromSmallChild(`m.Sequential.fromJSON(${JSON.stringify(JSON.stringify(j))})`); }, kind: RangeError, where: 'Sequential.fromJSON', arg: "'inputShape' [1000000000]" },
  { title: 'setLimits with a limit of 0', call: () => setLimits({ maxTensorElements: 0 }), kind: RangeError, where: 'setLimits', arg: "'maxTensorElements'" },
  { title: 'setLimits with an unknown limit', call: () => setLimits({ maxBytes: 5 } as never), kind: TypeError, where: 'setLimits', arg: "'maxBytes'" },

  // ---- sparse arrays: a hole is not an entry (issue 13, class 4) ----
  { title: 'AutoregressiveNetwork with hiddenUnits [8, , 8]', call: () => new AutoregressiveNetwork({ params: 2, hiddenUnits: [8, , 8] as never }), kind: TypeError, where: 'AutoregressiveNetwork', arg: "'hiddenUnits' is a sparse array [8, <hole>, 8]: index 1 is empty" },
  { title: 'AutoregressiveNetwork with inputOrder [1, , 3]', call: () => new AutoregressiveNetwork({ params: 2, eventShape: 3, inputOrder: [1, , 3] as never }), kind: TypeError, where: 'AutoregressiveNetwork', arg: "'inputOrder'" },
  { title: 'AutoregressiveNetwork with inputOrder [2, , 1] and no eventShape', call: () => new AutoregressiveNetwork({ params: 2, inputOrder: [2, , 1] as never }), kind: TypeError, where: 'AutoregressiveNetwork', arg: "'inputOrder'" },
  { title: 'createDegrees with hiddenUnits [4, , 4]', call: () => createDegrees({ eventSize: 3, hiddenUnits: [4, , 4] as never }), kind: TypeError, where: 'createDegrees', arg: "'hiddenUnits'" },
  { title: 'makeMasks with hiddenUnits [4, , 4]', call: () => makeMasksFn({ params: 2, eventSize: 3, hiddenUnits: [4, , 4] as never }), kind: TypeError, where: 'makeMasks', arg: "'hiddenUnits'" },
  { title: 'Permute with permutation [1, , 0]', call: () => new Permute({ permutation: [1, , 0] as never }), kind: TypeError, where: 'Permute', arg: "'permutation'" },
  { title: 'PermuteTransform with permutation [2, , 0]', call: () => new PermuteTransform({ permutation: [2, , 0] as never }), kind: TypeError, where: 'Permute', arg: "'permutation'" },
  { title: 'InputLayer with inputShape [2, , 3]', call: () => new InputLayer({ inputShape: [2, , 3] as never }), kind: TypeError, where: "InputLayer: 'inputShape'", arg: "'shape'" },
  { title: 'zeros with shape [2, , 3]', call: () => zeros([2, , 3] as never), kind: TypeError, where: 'full', arg: "'shape'" },
  { title: 'reshape to [2, , 3]', call: () => reshape(zeros([6]), [2, , 3] as never), kind: TypeError, where: 'reshape', arg: "'shape'" },
  { title: 'transpose with perm [1, , 0]', call: () => transpose(zeros([2, 3, 4]), [1, , 0] as never), kind: TypeError, where: 'transpose', arg: "'perm'" },
  { title: 'slice with begin [0, , 0]', call: () => slice(zeros([2, 3, 4]), [0, , 0] as never, [1, 1, 1]), kind: TypeError, where: 'slice', arg: "'begin'" },
  { title: 'concat of [t, , t]', call: () => concat([zeros([2]), , zeros([2])] as never, 0), kind: TypeError, where: 'concat', arg: "'tensors'" },
  { title: 'tensor of [[1, , 2]]', call: () => tensor([[1, , 2]] as never), kind: TypeError, where: 'tensor', arg: "'values' is a sparse array" },
  { title: 'sample with sampleShape [2, , 2]', call: () => new Normal({ loc: 0, scale: 1 }).sample([2, , 2] as never), kind: TypeError, where: 'Normal.sample', arg: "'sampleShape'" },
  { title: 'Chain of [b, , b]', call: () => new Chain([new Shift(1), , new Shift(2)] as never), kind: TypeError, where: 'Chain', arg: "'bijectors'" },
  { title: 'Sequential of [layer, , layer]', call: () => new Sequential([new InputLayer({ inputShape: [1] }), , new Dense({ units: 1 })] as never), kind: TypeError, where: 'Sequential', arg: "'layers'" },
  { title: 'Sequential.setWeights with a hole', call: () => { const m = flowModel(); m.build(); const w: Tensor[] = m.getWeights(); delete (w as unknown as Record<number, Tensor>)[1]; return m.setWeights(w); }, kind: TypeError, where: 'Sequential.setWeights', arg: "'weights'" },
  { title: 'AutoregressiveNetwork.setWeights with a hole', call: () => { const m = made3(); const w: Tensor[] = m.getWeights(); delete (w as unknown as Record<number, Tensor>)[0]; return m.setWeights(w); }, kind: TypeError, where: 'AutoregressiveNetwork.setWeights', arg: "'weights'" },
  { title: 'Optimizer.step with a hole in params', call: () => { const p = zeros([2], { requiresGrad: true }); return new Adam().step([p, , zeros([1], { requiresGrad: true })] as never); }, kind: TypeError, where: 'Adam.step', arg: "'params'" },
  { title: 'Optimizer.setState with a hole in a slot', call: () => new Adam().setState({ iterations: 1, slots: { m: [[1, , 2]] as never, v: [[1, 1, 1]] } }), kind: TypeError, where: 'Adam.setState', arg: "'state.slots.m[0]'" },
  { title: 'fit with callbacks [cb, , cb]', call: () => flowModel().fit(rows4, y4, { callbacks: [{}, , {}] as never, verbose: 0 }), kind: TypeError, where: 'Sequential.fit', arg: "'callbacks'" },
  { title: 'fromJSON of a file whose inputShape has a hole', call: () => { const j = flowModel().toJSON(); j.inputShape = [0]; delete (j.inputShape as unknown as Record<number, number>)[0]; return Sequential.fromJSON(j); }, kind: ValueError, where: 'Sequential.fromJSON', arg: "'inputShape'" },

  // ---- conditions are data: NaN and ±∞ refused (issue 13, class 4) ----
  { title: 'a conditional flow\'s logProb with a NaN condition', call: () => conditionalFlow().logProb([[0, 1]], { bijectorKwargs: { conditionalInput: tensor([[NaN]]) } }), kind: ValueError, where: 'TransformedDistribution.logProb', arg: "'conditionalInput' has NaN at row 0, column 0" },
  { title: 'a conditional flow\'s sample with an infinite condition', call: () => conditionalFlow().sample(2, { seed: 1, bijectorKwargs: { conditionalInput: tensor([[1], [Infinity]]) } }), kind: ValueError, where: 'TransformedDistribution.sample', arg: "'conditionalInput' has Infinity at row 1" },
  { title: 'a per-bijector condition with NaN', call: () => conditionalFlow().logProb([[0, 1]], { bijectorKwargs: { masked_autoregressive_flow: { conditionalInput: tensor([[NaN]]) } } }), kind: ValueError, where: 'TransformedDistribution.logProb', arg: "'bijectorKwargs.masked_autoregressive_flow.conditionalInput'" },
  { title: 'MaskedAutoregressiveFlow.inverse with a NaN condition', call: () => (conditionalFlow().bijector as MaskedAutoregressiveFlow).inverse(zeros([1, 2]), { conditionalInput: tensor([[NaN]]) }), kind: ValueError, where: 'MaskedAutoregressiveFlow.inverse', arg: "'conditionalInput' has NaN" },
  { title: 'MaskedAutoregressiveFlow.forwardAndLogDet with an infinite condition', call: () => (conditionalFlow().bijector as MaskedAutoregressiveFlow).forwardAndLogDet(zeros([1, 2]), { conditionalInput: tensor([[Infinity]]) }), kind: ValueError, where: 'MaskedAutoregressiveFlow.forwardAndLogDet', arg: "'conditionalInput' has Infinity" },
  { title: 'AutoregressiveNetwork.call with a -Infinity condition', call: () => new AutoregressiveNetwork({ params: 2, eventShape: 2, conditional: true, conditionalEventShape: 1, seed: 1 }).call(zeros([1, 2]), { conditionalInput: tensor([[-Infinity]]) }), kind: ValueError, where: 'AutoregressiveNetwork.call', arg: "'conditionalInput'" },
  { title: 'a conditional model called on a NaN condition', call: () => conditionalModel().call(tensor([[NaN]])), kind: ValueError, where: 'TransformedDistribution', arg: "'conditionalInput' has NaN at row 0, column 0" },

  // ---- state with no meaning, files and calls that would go wrong later (issue 13, classes 2–4) ----
  { title: 'Adam.setState with a negative second moment', call: () => new Adam().setState({ iterations: 1, slots: { m: [[0]], v: [[-1]] } }), kind: RangeError, where: 'Adam.setState', arg: "slot 'v'" },
  { title: 'BatchNormalization.inverse in training mode on one row', call: () => new BatchNormalization({ eventSize: 2 }).inverse(tensor([[1, 2]])), kind: ValueError, where: 'BatchNormalization.inverse', arg: "'y'" },
  { title: 'fit with batch norm leaving a batch of 1 row', call: () => bnModel().fit(zeros([33, 0]), tensor(Array.from({ length: 33 }, (_, i) => [i, -i])), { batchSize: 32, verbose: 0 }), kind: ValueError, where: 'Sequential.fit', arg: "'batchSize' 32" },
  { title: 'save of a model with a NaN weight', call: () => { const m = flowModel(); m.build(); const w = m.getWeights(); w[0].data[0] = NaN; m.setWeights(w); return m.save(path.join(dir, 'nan.json')); }, kind: ValueError, where: 'Sequential.save', arg: 'weights[0]' },
  { title: 'save over a directory', call: () => flowModel().save(dir), kind: ValueError, where: 'Sequential.save', arg: 'is a directory, not a regular file' },
  { title: 'loadWeights of a file saved with another activation', call: () => flowModel().loadWeights(savedWith('tanh.json', { activation: 'tanh' })), kind: ValueError, where: 'Sequential.loadWeights', arg: 'activation' },
  { title: 'loadWeights of a file saved with another input order', call: () => flowModel().loadWeights(savedWith('rtl.json', { inputOrder: 'right-to-left' })), kind: ValueError, where: 'Sequential.loadWeights', arg: 'inputOrder' },
  { title: 'two AutoregressiveTransforms sharing one network', call: () => { const made = made3(); return new Sequential([new AutoregressiveTransform(made), new AutoregressiveTransform(made)]); }, kind: ValueError, where: 'Sequential.add', arg: 'uses the same AutoregressiveNetwork' },
  { title: 'two FlowLayers sharing one flow', call: () => { const flow = maskedAutoregressiveFlowStack({ eventSize: 2, numLayers: 1, hiddenUnits: [4], seed: 2 }); return new Sequential([new FlowLayer(flow), new FlowLayer(flow)]); }, kind: ValueError, where: 'Sequential.add', arg: 'share a weight tensor' },
  { title: 'registerDistributionFn replacing a name', call: () => registerDistributionFn('badCallsNormal2d', (t: Tensor) => standardNormal2d(t)), kind: ValueError, where: 'registerDistributionFn', arg: "'badCallsNormal2d' is already registered" },
  { title: 'registerDistributionFn with a string override', call: () => registerDistributionFn('badCallsNormal2d', standardNormal2d, { override: 'yes' } as never), kind: TypeError, where: 'registerDistributionFn', arg: "'override'" },
  { title: 'registerLayer replacing a built-in layer', call: () => registerLayer('Dense', (c) => Dense.fromConfig(c)), kind: ValueError, where: 'registerLayer', arg: "'Dense'" },
  { title: 'registerOptimizer replacing Adam', call: () => registerOptimizer('Adam', (c) => Adam.fromConfig(c)), kind: ValueError, where: 'registerOptimizer', arg: "'Adam'" },
  { title: 'parseCsv of a hexadecimal field', call: () => parseCsv('a,b\n1,0x10\n'), kind: ValueError, where: 'parseCsv', arg: "'0x10' is not a decimal number" },
  { title: 'parseCsv of a binary field', call: () => parseCsv('a\n0b101\n'), kind: ValueError, where: 'parseCsv', arg: "'0b101'" },
  { title: 'parseCsv of an octal field', call: () => parseCsv('a\n0o17\n'), kind: ValueError, where: 'parseCsv', arg: "'0o17'" },
];

/** Every float in a result (tensors, numbers, arrays, plain objects, distributions' parameters are not walked). */
function containsNaN(v: unknown, depth = 0): boolean {
  if (depth > 4) return false;
  if (typeof v === 'number') return Number.isNaN(v);
  if (v instanceof Tensor) return Array.from(v.data).some(Number.isNaN);
  if (Array.isArray(v)) return v.some((e) => containsNaN(e, depth + 1));
  if (typeof v === 'object' && v !== null) return Object.values(v).some((e) => containsNaN(e, depth + 1));
  return false;
}

/** The call's error, awaiting a promise; or a description of what it returned instead. */
async function outcome(call: () => unknown): Promise<{ error: unknown } | { returned: unknown }> {
  try {
    const r = call();
    return { returned: r instanceof Promise ? await r : r };
  } catch (error) {
    return { error };
  }
}

describe('the bad-call catalogue', () => {
  it('has at least 60 distinct bad calls', () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
    expect(new Set(cases.map((c) => c.title)).size).toBe(cases.length);
  });

  for (const c of cases) {
    it(`${c.title}: ${c.kind.name} naming ${c.where} and ${c.arg}`, async () => {
      let result: { error: unknown } | { returned: unknown };
      try {
        result = await outcome(c.call);
      } catch (error) {
        // a rejected promise
        result = { error };
      }
      if ('returned' in result) {
        throw new Error(`expected a ${c.kind.name}, but the call returned ${containsNaN(result.returned) ? 'a result containing NaN' : 'normally'}`);
      }
      const e = result.error;
      expect(e).toBeInstanceOf(Error);
      expect(e).toBeInstanceOf(c.kind);
      const message = (e as Error).message;
      expect(message.startsWith(`${c.where}:`) || message.startsWith(`${c.where} `)).toBe(true);
      expect(message).toContain(c.arg);
    });
  }
});
