/** maflow/distributions: every distribution with the types of its options, arguments and results
 * (TFP's tfp.distributions), and the stacked MAF builder that returns one. The root exports the same
 * values; import from here for their types.
 * @module maflow/distributions
 */
import '../../autodiff/methods.js'; // installs x.add(y), x.neg(), ... on Tensor.prototype

export {
  Distribution, type SampleShape, type SampleOptions, type LogProbOptions, type ValueLike, type DistributionConfig,
  type DistributionParameters, type SampleResult,
} from '../../flows/distributions/distribution.js';
export { Normal, type NormalOptions } from '../../flows/distributions/normal.js';
export { MultivariateNormalDiag, type MultivariateNormalDiagOptions } from '../../flows/distributions/multivariate-normal-diag.js';
export { TransformedDistribution, type TransformedDistributionOptions } from '../../flows/distributions/transformed-distribution.js';
export { Bernoulli, type BernoulliOptions } from '../../flows/distributions/bernoulli.js';
export { Categorical, type CategoricalOptions } from '../../flows/distributions/categorical.js';
export { Independent, type IndependentOptions } from '../../flows/distributions/independent.js';
export {
  Autoregressive, madeConditionals, type AutoregressiveOptions, type AutoregressiveLogProbOptions, type MadeConditional,
  type MadeConditionalsOptions, type MadeDistributionFn,
} from '../../flows/distributions/autoregressive.js';
export { maskedAutoregressiveFlowStack, type MaskedAutoregressiveFlowStackOptions, type StackTransform } from '../../flows/maf.js';
