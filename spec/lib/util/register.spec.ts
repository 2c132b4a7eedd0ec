// The one registry: every kind round-trips through serialize/deserialize, unknown names list the registered ones, and a taken name needs { override: true }.
import {
  Adam, AutoregressiveNetwork, Chain, Dense, FlowLayer, MaskedAutoregressiveFlow, Reverse, Shift, ValueError,
  maskedAutoregressiveFlowStack, registerDistributionFn, splineFamily, tensor,
  type Bijector, type Distribution, type Layer, type Optimizer, type Tensor, type TransformFamily,
} from '../../../lib/index.js';
import { layerFromConfig, registerLayer, transformFamilyFromConfig } from '../../../lib/entries/serialization.js';
import { deserialize, registeredNames, registerSerializable, serialize, type Serialized } from '../../../lib/util/register.js';

const bits = (t: Tensor): string => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('hex');
/** `serialize(obj)` through JSON text, as a file holds it (weights as `{ data, shape }`, a TensorLike). */
const throughJSON = (s: Serialized<object, Tensor>): Serialized => JSON.parse(JSON.stringify({
  ...s, weights: s.weights?.map((w) => ({ data: Array.from(w.data), shape: w.shape })),
})) as Serialized;
const x = tensor([[0.5, -1], [2, 0.25], [-1.5, 1]]);
/** Moves every weight away from its initial value, so a round trip that dropped the weights would show. */
const perturb = (weights: readonly Tensor[]): void => weights.forEach((w, i) => w.data.forEach((_, j) => { w.data[j] += 0.01 * (i + 1) * Math.sin(j + 1); }));

describe('one registry: every kind round-trips through serialize and deserialize', () => {
  it('bijector: a Chain of a MAF and a Reverse, weights included, bit for bit', () => {
    const maf = new MaskedAutoregressiveFlow(new AutoregressiveNetwork({ params: 2, eventShape: 2, hiddenUnits: [4], seed: 5 }));
    const chain = new Chain([maf, new Reverse()]);
    perturb(chain.weights);
    const copy = deserialize<Bijector>('bijector', throughJSON(serialize(chain)));
    expect(copy).toBeInstanceOf(Chain);
    expect(copy.getConfig()).toEqual(chain.getConfig());
    expect(bits(copy.inverse(x))).toEqual(bits(chain.inverse(x)));
  });

  it('distribution: a MAF flow with batch norm, weights and averages included, bit for bit', () => {
    const flow = maskedAutoregressiveFlowStack({ eventSize: 2, numLayers: 2, hiddenUnits: [4], batchNorm: true, seed: 3 });
    perturb(flow.weights);
    const copy = deserialize<Distribution>('distribution', throughJSON(serialize(flow)));
    expect(bits(copy.logProb(x))).toEqual(bits(flow.logProb(x)));
  });

  it('layer: a FlowLayer with its weights', () => {
    const layer = new FlowLayer(maskedAutoregressiveFlowStack({ eventSize: 2, numLayers: 1, hiddenUnits: [4], seed: 2 }), { name: 'flow' });
    perturb(layer.weights);
    const s = serialize<object, Tensor>(layer);
    expect(s.className).toBe('FlowLayer');
    // A layer's setWeights takes Tensors (a model file decodes them first).
    const copy = deserialize<FlowLayer>('layer', { ...throughJSON(s), weights: layer.getWeights() });
    expect(copy.getConfig()).toEqual(layer.getConfig());
    expect(bits(copy.flow.logProb(x))).toEqual(bits(layer.flow.logProb(x)));
  });

  it('optimizer: an Adam with its options (its state travels beside it, in the model file)', () => {
    const adam = new Adam({ learningRate: 0.02, beta1: 0.8, clipNorm: 1 });
    expect(serialize(adam)).toEqual({ className: 'Adam', config: adam.getConfig(), weights: [] });
    const copy = deserialize<Optimizer>('optimizer', throughJSON(serialize(adam)));
    expect(copy).toBeInstanceOf(Adam);
    expect(copy.getConfig()).toEqual({ learningRate: 0.02, beta1: 0.8, beta2: 0.999, epsilon: 1e-7, clipNorm: 1 });
  });

  it('transform family: a spline, keyed by its name, computing the same values', () => {
    const family = splineFamily({ bins: 4, bound: 3 });
    expect(serialize(family).className).toBe('spline');
    const copy = deserialize<TransformFamily>('transformFamily', throughJSON(serialize(family)));
    const theta = new Float64Array([0.3, -0.2, 0.1, 0.4, -0.5, 0.2, 0.6, -0.1, 0.7, 0.05, -0.3]); // 3K − 1 = 11
    const [a, b] = [new Float64Array(2), new Float64Array(2)];
    family.forward(0.7, theta, 0, a);
    copy.forward(0.7, theta, 0, b);
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(copy.getConfig()).toEqual(family.getConfig());
  });

  it('the kinds views read the same table: a layer registered through registerSerializable loads with layerFromConfig', () => {
    registerSerializable('layer', 'RegisterSpecDense', (c: Record<string, never>) => new Dense({ ...c, units: 3 }));
    expect(registeredNames('layer')).toContain('RegisterSpecDense');
    expect((layerFromConfig({ className: 'RegisterSpecDense', config: { name: 'd' } }) as Dense).units).toBe(3);
    expect(transformFamilyFromConfig(serialize(splineFamily({ bins: 2 })).config as never).params).toBe(5);
  });
});

describe('errors name the kind, the class and the caller', () => {
  it('an unknown class name: the caller, the kind and every registered name of that kind', () => {
    expect(() => deserialize('bijector', { className: 'Affine', config: {} })).toThrow(new ValueError(
      "deserialize: unknown bijector class 'Affine'; known classes are Chain, Invert, Shift, Scale, Permute, Reverse, BatchNormalization, " +
      "MaskedAutoregressiveFlow, Logit, Standardize, RationalQuadraticSpline (register others with registerSerializable('bijector', …))"));
    expect(() => deserialize('optimizer', { className: 'RMSprop', config: {} }, 'loadModel: m.json: optimizer')).toThrow(new ValueError(
      "loadModel: m.json: optimizer: unknown optimizer class 'RMSprop'; known classes are Adam, SGD (register others with registerOptimizer)"));
    expect(() => deserialize('distribution', { className: 'Shift', config: {} })).toThrow(/unknown distribution class 'Shift'; known classes are Normal, MultivariateNormalDiag, /);
    expect(() => deserialize('transformFamily', { className: 'cubic', config: {} })).toThrow(TypeError);
  });

  it('a class that refuses its config or its weights is named once, by the outermost call, with its own message', () => {
    const config = { className: 'Chain', name: 'c', bijectors: [{ className: 'Shift', name: 's', shift: 'x' }] };
    expect(() => deserialize('bijector', { className: 'Chain', config }, 'load')).toThrow(
      /^load: cannot rebuild a Chain from its config: tensor: value 0 is string, expected a number$/);
    expect(() => deserialize('bijector', { ...serialize(new Shift([1, 2])), weights: [tensor([1, 2, 3])] }, 'load')).toThrow(new ValueError(
      'load: the weights do not fit a Shift: Shift.setWeights: expected 0 weights (shapes ), got 1'));
    expect(() => deserialize('optimizer', { ...serialize(new Adam()), weights: [tensor([1])] }, 'load')).toThrow(new ValueError(
      'load: the weights do not fit an Adam: Adam has no weights, got an array of length 1'));
  });
});

describe('a taken name is not replaced silently', () => {
  const first = (c: { name: string }): Bijector => new Shift(1, { name: c.name });
  const second = (c: { name: string }): Bijector => new Shift(2, { name: c.name });

  it('the same factory again is fine; another one throws unless { override: true }, and then loads', () => {
    registerSerializable('bijector', 'RegisterSpecShift', first);
    registerSerializable('bijector', 'RegisterSpecShift', first);
    expect(() => registerSerializable('bijector', 'RegisterSpecShift', second)).toThrow(new ValueError(
      "registerSerializable: 'name' 'RegisterSpecShift' is already registered to another factory; pass { override: true } to replace it " +
      "(models saved under 'RegisterSpecShift' will then load with the new one)"));
    expect(() => registerSerializable('bijector', 'Shift', first)).toThrow(/^registerSerializable: 'name' 'Shift' is already registered/);
    const config = { className: 'RegisterSpecShift', name: 's' };
    expect(deserialize<Bijector>('bijector', { className: 'RegisterSpecShift', config }).forward(tensor([0])).item()).toBe(1);
    registerSerializable('bijector', 'RegisterSpecShift', second, { override: true });
    expect(deserialize<Bijector>('bijector', { className: 'RegisterSpecShift', config }).forward(tensor([0])).item()).toBe(2);
  });

  it('kinds are separate namespaces, and every view keeps the rule', () => {
    registerSerializable('layer', 'Shift', (c: Record<string, never>): Layer => new Dense({ ...c, units: 1 }));
    expect(registeredNames('bijector')).toContain('Shift');
    expect(() => registerLayer('Shift', (c) => new Dense({ ...c, units: 2 }))).toThrow(/^registerLayer: 'name' 'Shift' is already registered to another factory/);
    const fn = (t: Tensor): Distribution => maskedAutoregressiveFlowStack({ eventSize: t.shape[t.rank - 1] });
    registerDistributionFn('registerSpecFn', fn);
    expect(registeredNames('distributionFn')).toContain('registerSpecFn');
    expect(() => registerDistributionFn('registerSpecFn', (t: Tensor) => fn(t))).toThrow(/another function; pass \{ override: true \}/);
  });

  it('checks its arguments', () => {
    expect(() => registerSerializable('bijector', '', first)).toThrow(new TypeError("registerSerializable: 'className' must be a non-empty string, got ''"));
    expect(() => registerSerializable('bijector', 'X', 5 as never)).toThrow(new TypeError("registerSerializable: 'fromConfig' must be a function, got 5"));
    expect(() => registerSerializable('widget' as never, 'X', first)).toThrow(/^registerSerializable: 'kind' must be one of bijector, distribution, layer, optimizer, transformFamily, got 'widget'/);
    expect(() => registerSerializable('bijector', 'X', first, { replace: true } as never)).toThrow(/'options' must be \{ override\?: boolean \}, got keys replace/);
  });
});
