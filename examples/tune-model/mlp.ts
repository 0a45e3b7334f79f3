/**
 * A small multi-layer perceptron for tabular classification: ReLU hidden layers, a softmax
 * output, mean cross-entropy loss, minibatch training one epoch at a time with SGD (momentum)
 * or Adam, and L2 weight decay.
 *
 * Why hand-written: the data sets here have a few hundred rows and a handful of features, so
 * plain loops over Float64Arrays train an epoch in well under a millisecond, while
 * `@tensorflow/tfjs` (pure-JS backend) installs 294 MB of packages and `ml-fnn` trains to the
 * end in one call (no per-epoch step to report to a pruner) with plain SGD only. Tested against
 * finite-difference gradients in `test/e2e/real-model.test.ts`.
 */

/** How to build and train an {@link Mlp}. */
export interface MlpOptions {
  /** Features per row. */
  inputs: number;
  /** Units of each hidden layer, input side first (`[]`: softmax regression). */
  hidden: readonly number[];
  /** Classes. */
  classes: number;
  optimizer: "adam" | "sgd";
  learningRate: number;
  /** SGD only: the velocity's decay (0 = plain SGD). */
  momentum?: number;
  /** L2 penalty on the weights (not the biases), added to their gradient. */
  weightDecay?: number;
  /** Uniform [0, 1) numbers for the initial weights and the minibatch order (seeded for reruns). */
  random: () => number;
}

/** Mean loss and accuracy over a set of rows. */
export interface Evaluation {
  loss: number;
  accuracy: number;
}

interface Layer {
  inputs: number;
  outputs: number;
  /** Row-major `outputs x inputs`. */
  weights: Float64Array;
  biases: Float64Array;
  gradWeights: Float64Array;
  gradBiases: Float64Array;
  /** First moments (Adam) or velocities (SGD); second moments (Adam only). */
  moment1: { weights: Float64Array; biases: Float64Array };
  moment2: { weights: Float64Array; biases: Float64Array };
}

const ADAM_BETA1 = 0.9;
const ADAM_BETA2 = 0.999;
const ADAM_EPSILON = 1e-8;

/** A standard normal draw from two uniforms (Box-Muller). */
function gaussian(random: () => number): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

function newLayer(inputs: number, outputs: number, random: () => number): Layer {
  const zeros = (n: number) => new Float64Array(n);
  const weights = zeros(inputs * outputs);
  // He initialisation: keeps ReLU activations' variance steady from layer to layer.
  const scale = Math.sqrt(2 / inputs);
  for (let i = 0; i < weights.length; i++) weights[i] = gaussian(random) * scale;
  return {
    inputs,
    outputs,
    weights,
    biases: zeros(outputs),
    gradWeights: zeros(inputs * outputs),
    gradBiases: zeros(outputs),
    moment1: { weights: zeros(inputs * outputs), biases: zeros(outputs) },
    moment2: { weights: zeros(inputs * outputs), biases: zeros(outputs) },
  };
}

/** Softmax in place, shifted by the maximum so large logits cannot overflow. */
function softmax(logits: Float64Array): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (const v of logits) max = Math.max(max, v);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    logits[i] = Math.exp(logits[i] - max);
    sum += logits[i];
  }
  for (let i = 0; i < logits.length; i++) logits[i] /= sum;
  return logits;
}

/** A feed-forward classifier trained by {@link Mlp.trainEpoch}. */
export class Mlp {
  readonly layers: Layer[];
  private readonly options: MlpOptions;
  private steps = 0;

  constructor(options: MlpOptions) {
    this.options = options;
    const sizes = [options.inputs, ...options.hidden, options.classes];
    this.layers = sizes.slice(1).map((out, i) => newLayer(sizes[i], out, options.random));
  }

  /** The activations of every layer for one row: `[input, hidden..., probabilities]`. */
  forward(row: ArrayLike<number>): Float64Array[] {
    const activations = [Float64Array.from(row)];
    this.layers.forEach((layer, l) => {
      const input = activations[l];
      const out = new Float64Array(layer.outputs);
      for (let o = 0; o < layer.outputs; o++) {
        let z = layer.biases[o];
        const offset = o * layer.inputs;
        for (let i = 0; i < layer.inputs; i++) z += layer.weights[offset + i] * input[i];
        out[o] = z;
      }
      const last = l === this.layers.length - 1;
      if (last) softmax(out);
      else for (let o = 0; o < out.length; o++) out[o] = Math.max(0, out[o]);
      activations.push(out);
    });
    return activations;
  }

  /** Adds one row's cross-entropy gradient to the layers' gradient buffers. */
  private backward(activations: Float64Array[], label: number): void {
    // Softmax + cross-entropy: the output delta is probabilities minus the one-hot label.
    let delta = Float64Array.from(activations[activations.length - 1]);
    delta[label] -= 1;
    for (let l = this.layers.length - 1; l >= 0; l--) {
      const layer = this.layers[l];
      const input = activations[l];
      const previous = new Float64Array(layer.inputs);
      for (let o = 0; o < layer.outputs; o++) {
        const d = delta[o];
        if (d === 0) continue;
        layer.gradBiases[o] += d;
        const offset = o * layer.inputs;
        for (let i = 0; i < layer.inputs; i++) {
          layer.gradWeights[offset + i] += d * input[i];
          previous[i] += d * layer.weights[offset + i];
        }
      }
      // Through the ReLU below: no gradient where that unit was off.
      for (let i = 0; i < previous.length; i++) if (input[i] <= 0) previous[i] = 0;
      delta = previous;
    }
  }

  /** The mean cross-entropy gradient of a batch, left in the layers' gradient buffers. */
  gradient(rows: readonly ArrayLike<number>[], labels: readonly number[]): void {
    for (const layer of this.layers) {
      layer.gradWeights.fill(0);
      layer.gradBiases.fill(0);
    }
    rows.forEach((row, r) => {
      this.backward(this.forward(row), labels[r]);
    });
    const decay = this.options.weightDecay ?? 0;
    for (const layer of this.layers) {
      for (let i = 0; i < layer.gradWeights.length; i++) {
        layer.gradWeights[i] = layer.gradWeights[i] / rows.length + decay * layer.weights[i];
      }
      for (let i = 0; i < layer.gradBiases.length; i++) layer.gradBiases[i] /= rows.length;
    }
  }

  /** One optimizer step along the gradient buffers. */
  private step(): void {
    this.steps++;
    const { optimizer, learningRate: lr, momentum = 0 } = this.options;
    const update = (
      params: Float64Array,
      grads: Float64Array,
      m1: Float64Array,
      m2: Float64Array,
    ) => {
      for (let i = 0; i < params.length; i++) {
        const g = grads[i];
        if (optimizer === "sgd") {
          m1[i] = momentum * m1[i] + g;
          params[i] -= lr * m1[i];
          continue;
        }
        m1[i] = ADAM_BETA1 * m1[i] + (1 - ADAM_BETA1) * g;
        m2[i] = ADAM_BETA2 * m2[i] + (1 - ADAM_BETA2) * g * g;
        const m1Hat = m1[i] / (1 - ADAM_BETA1 ** this.steps);
        const m2Hat = m2[i] / (1 - ADAM_BETA2 ** this.steps);
        params[i] -= (lr * m1Hat) / (Math.sqrt(m2Hat) + ADAM_EPSILON);
      }
    };
    for (const layer of this.layers) {
      update(layer.weights, layer.gradWeights, layer.moment1.weights, layer.moment2.weights);
      update(layer.biases, layer.gradBiases, layer.moment1.biases, layer.moment2.biases);
    }
  }

  /** One pass over the rows in a fresh random order, one step per minibatch. */
  trainEpoch(rows: readonly ArrayLike<number>[], labels: readonly number[], batchSize: number) {
    const order = rows.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(this.options.random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (let start = 0; start < order.length; start += batchSize) {
      const batch = order.slice(start, start + batchSize);
      this.gradient(
        batch.map((i) => rows[i]),
        batch.map((i) => labels[i]),
      );
      this.step();
    }
  }

  /** Mean cross-entropy (without the weight-decay term) and accuracy over the rows. */
  evaluate(rows: readonly ArrayLike<number>[], labels: readonly number[]): Evaluation {
    let loss = 0;
    let correct = 0;
    rows.forEach((row, r) => {
      const activations = this.forward(row);
      const probabilities = activations[activations.length - 1];
      // Clamped so one confident mistake gives a large, finite loss rather than Infinity.
      loss -= Math.log(Math.max(probabilities[labels[r]], 1e-12));
      let predicted = 0;
      for (let c = 1; c < probabilities.length; c++) {
        if (probabilities[c] > probabilities[predicted]) predicted = c;
      }
      if (predicted === labels[r]) correct++;
    });
    return { loss: loss / rows.length, accuracy: correct / rows.length };
  }
}
