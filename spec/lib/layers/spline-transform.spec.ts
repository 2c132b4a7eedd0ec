import { neg } from '../../../autodiff/ops/unary.js';
import { Adam } from '../../../autodiff/optimizers/adam.js';
import { noGrad, Tensor, tensor, zeros } from '../../../autodiff/tensor.js';
import { AutoregressiveNetwork } from '../../../flows/made/autoregressive-network.js';
import { MaskedAutoregressiveFlow } from '../../../flows/bijectors/masked-autoregressive-flow.js';
import { RationalQuadraticSpline } from '../../../flows/bijectors/rational-quadratic-spline.js';
import type { Distribution } from '../../../flows/distributions/distribution.js';
import { MultivariateNormalDiag } from '../../../flows/distributions/multivariate-normal-diag.js';
import { TransformedDistribution } from '../../../flows/distributions/transformed-distribution.js';
import { maskedAutoregressiveFlowStack } from '../../../flows/maf.js';
import { splineFamily, splineParametersOf } from '../../../flows/transforms/spline.js';
import { AutoregressiveTransform } from '../../../lib/layers/autoregressive-transform.js';
import { DistributionLambda, registerDistributionFn } from '../../../lib/layers/distribution-lambda.js';
import { FlowLayer } from '../../../lib/layers/flow-layer.js';
import { InputLayer } from '../../../lib/layers/input-layer.js';
import { Sequential } from '../../../lib/models/sequential.js';
import { randn, seededRng } from '../../helpers/grad-check.js';
import { randomMade } from '../../flows/bijectors/made-helpers.js';

const bitsOf = (t: Tensor): number[] => Array.from(new Uint32Array(t.data.slice().buffer));

registerDistributionFn('splineSpecNormal2d', (t: Tensor) => new MultivariateNormalDiag({ loc: zeros([...t.shape.slice(0, -1), 2]) }));

describe('a spline flow through the Keras-like surface', () => {
  it('AutoregressiveTransform(made, { transform }) trains, and save/load gives the same bits', async () => {
    const spline = splineFamily({ bins: 5, bound: 4 });
    const model = new Sequential([
      new InputLayer({ inputShape: [0] }),
      new DistributionLambda('splineSpecNormal2d'),
      new AutoregressiveTransform(new AutoregressiveNetwork({ params: spline.params, hiddenUnits: [8], activation: 'relu', zeroInitOutput: true, seed: 3 }),
        { transform: spline }),
    ]);
    model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: (y: Tensor, rv: Distribution) => neg(rv.logProb(y)) });
    const data = randn(seededRng('spline-layer-data'), [60, 2], 1.5);
    const history = await model.fit(zeros([60, 0]), data, { epochs: 3, batchSize: 20, verbose: 0, seed: 1 });
    // The flow starts at the identity: the first loss is the base's NLL of the data (≈ 2·(log 2π)/2 + Σx²/2).
    expect(history.history.loss[2]).toBeLessThan(history.history.loss[0]);
    const json = model.toJSON();
    expect(json.layers[2].config.transform).toEqual({ name: 'spline', bins: 5, bound: 4, minBinWidth: 1e-3, minBinHeight: 1e-3, minSlope: 1e-3 });
    const back = Sequential.fromJSON(JSON.stringify(json)) as Sequential<Distribution>;
    const x = randn(seededRng('spline-layer-x'), [4, 3, 2], 2);
    const d0 = model.call(zeros([0]));
    const d1 = back.call(zeros([0]));
    expect(bitsOf(noGrad(() => d1.logProb(x)))).toEqual(bitsOf(noGrad(() => d0.logProb(x))));
    expect(bitsOf(noGrad(() => d1.sample(5, { seed: 2 })))).toEqual(bitsOf(noGrad(() => d0.sample(5, { seed: 2 }))));
  });

  it('AutoregressiveTransform: a network whose params is not the transform\'s P gets TFP\'s message with the P', () => {
    expect(() => new AutoregressiveTransform(new AutoregressiveNetwork({ params: 2 }), { transform: splineFamily({ bins: 3 }) }))
      .toThrow(/Argument made must output 8 parameters per input, found 2\. \(the 'spline' transform reads 8\)/);
    // TFP's own message, word for word, without a transform.
    expect(() => new AutoregressiveTransform(new AutoregressiveNetwork({ params: 3 })))
      .toThrow(/AutoregressiveTransform: Argument made must output 2 parameters per input, found 3\.$/);
  });

  it('the builder\'s spline flow in a FlowLayer saves and loads bit-exactly, residual blocks included', async () => {
    const flow = maskedAutoregressiveFlowStack({ eventSize: 3, numLayers: 2, hiddenUnits: [8, 8], transform: 'spline', bins: 4, bound: 3, residualBlocks: true, seed: 5 });
    const model = new Sequential([new InputLayer({ inputShape: [0] }), new FlowLayer(flow)]);
    model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'negativeLogLikelihood' });
    await model.fit(zeros([30, 0]), randn(seededRng('flow-layer-spline'), [30, 3]), { epochs: 2, batchSize: 10, verbose: 0, seed: 1 });
    const back = Sequential.fromJSON(JSON.stringify(model.toJSON())) as Sequential<Distribution>;
    const x = randn(seededRng('flow-layer-spline-x'), [6, 3], 2);
    expect(bitsOf(noGrad(() => back.call(zeros([0])).logProb(x)))).toEqual(bitsOf(noGrad(() => model.call(zeros([0])).logProb(x))));
  });

  it('the builder rejects spline options with another transform, and a bad transform name', () => {
    expect(() => maskedAutoregressiveFlowStack({ eventSize: 2, transform: 'affine', bins: 4 })).toThrow(/maskedAutoregressiveFlowStack: 'bins' applies to transform 'spline', but transform is 'affine'/);
    expect(() => maskedAutoregressiveFlowStack({ eventSize: 2, logScaleClamp: 2 })).toThrow(/'logScaleClamp' applies to transform 'affine', but transform is 'spline'/);
    expect(() => maskedAutoregressiveFlowStack({ eventSize: 2, transform: 'cubic' as never })).toThrow(/'transform' must be 'affine', 'boundedAffine' or 'spline', got 'cubic'/);
    expect(() => maskedAutoregressiveFlowStack({ eventSize: 2, transform: 'spline', bins: 1 })).toThrow(/'bins' must be an integer ≥ 2, got 1/);
    expect(() => maskedAutoregressiveFlowStack({ eventSize: 2, transform: 'spline', bound: 0 })).toThrow(/'bound'/);
  });
});

describe("TFP's recipe: a bijectorFn returning RationalQuadraticSpline", () => {
  it('agrees with the spline family on the same network (logProb and samples)', () => {
    const family = splineFamily({ bins: 6, bound: 3 });
    const made = randomMade({ params: family.params, eventShape: 3, hiddenUnits: [7], activation: 'tanh' }, 'tfp-recipe', 0.4);
    // The recipe: the network's output for y read into TFP's spline parameters, one spline per dimension.
    const bijectorFn = (y: Tensor): RationalQuadraticSpline => {
      const theta = made.call(y).data; // [..., 3, P]
      const rows = theta.length / family.params;
      const per = Array.from({ length: rows }, (_, r) => splineParametersOf(family, theta, r * family.params));
      const shape = [...y.shape];
      return new RationalQuadraticSpline({
        binWidths: tensor(per.flatMap((p) => p.binWidths), [...shape, 6]),
        binHeights: tensor(per.flatMap((p) => p.binHeights), [...shape, 6]),
        knotSlopes: tensor(per.flatMap((p) => p.knotSlopes), [...shape, 5]),
        rangeMin: -3,
      });
    };
    const base = new MultivariateNormalDiag({ loc: [0, 0, 0] });
    const viaFn = new TransformedDistribution({ distribution: base, bijector: new MaskedAutoregressiveFlow({ bijectorFn }) });
    const viaFamily = new TransformedDistribution({ distribution: base, bijector: new MaskedAutoregressiveFlow({ network: made, transform: family }) });
    const x = randn(seededRng('tfp-recipe-x'), [5, 3], 1.5);
    const a = noGrad(() => viaFn.logProb(x)).data;
    const b = noGrad(() => viaFamily.logProb(x)).data;
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-12);
    // Sampling: the recipe takes E passes (TFP's loop), the family one walk; the same points.
    const u = randn(seededRng('tfp-recipe-u'), [4, 3]);
    const fromFn = noGrad(() => viaFn.bijector.forward(u)).data;
    const fromFamily = noGrad(() => viaFamily.bijector.forward(u)).data;
    for (let i = 0; i < fromFn.length; i++) expect(Math.abs(fromFn[i] - fromFamily[i])).toBeLessThan(1e-10);
  });
});
