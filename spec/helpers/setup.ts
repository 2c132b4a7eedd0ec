// Jest setup: load the chainable Tensor methods, as importing the package root does for users.
import '../../autodiff/methods.js';
