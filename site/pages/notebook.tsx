/**
 * `/notebook`: the seed notebook retold with live numbers.  It starts from the tensors the
 * notebook printed, so the API's answers are the notebook's: 1.5025, 0.9895, 1.6360, 0.7133.
 *
 * @module
 */
import { formatTensor } from "../client/tensor_text.ts";
import { lessonPath, LESSONS } from "../lessons.ts";
import { Layout } from "./layout.tsx";
import { Formula } from "./math.tsx";

/** The tensors the notebook printed, as it printed them (4 decimals). */
export const NOTEBOOK_TENSORS = {
  l1Input: {
    shape: [3, 5],
    data: [
      [-1.0067, 0.7007, -0.5554, 1.9660, -0.2172],
      [0.2010, 0.5133, -1.0753, 0.1957, -0.2220],
      [1.2197, 0.3226, 2.3190, 0.4182, 0.2190],
    ].flat(),
  },
  l1Target: {
    shape: [3, 5],
    data: [
      [-0.6690, 1.7592, -0.3545, 0.8823, 1.2551],
      [-1.7853, -0.3510, 1.8416, -2.1949, 2.0010],
      [1.0608, -1.4516, -2.9097, 0.4383, -0.6025],
    ].flat(),
  },
  binaryLogits: {
    shape: [10],
    data: [-1.6967, 2.6871, -0.3870, 0.2841, -1.9320, 0.7431, 0.5321, -1.0695, 0.0770, 0.3902],
  },
  binaryLabels: { shape: [10], data: [1, 0, 0, 0, 0, 1, 1, 1, 1, 0] },
  threeClassOutput: {
    shape: [10, 3],
    data: [
      [0.4278, -0.1769, -0.1021],
      [-3.7264, -0.8210, 1.2180],
      [0.9756, 0.5951, -0.0402],
      [-1.1516, -0.0206, 1.2694],
      [-0.3395, -0.4806, -0.3055],
      [-0.8345, 0.4869, 0.0430],
      [1.6530, 0.0384, -0.4284],
      [0.6374, 0.3935, -0.3398],
      [-0.9016, -0.9888, 0.9727],
      [-0.6929, 0.4684, 0.2244],
    ].flat(),
  },
  threeClassLabels: { shape: [10], data: [1, 1, 1, 0, 0, 2, 1, 2, 1, 2] },
  twoClassOutput: {
    shape: [10, 2],
    data: [
      [-0.3272, -0.9772],
      [-1.0323, 0.3656],
      [0.7022, -0.3994],
      [1.0495, -0.6664],
      [0.3569, -0.5211],
      [-0.7566, 0.7727],
      [-0.1840, 0.3146],
      [-1.0753, 0.9329],
      [-0.6972, -0.3679],
      [1.1080, 0.2262],
    ].flat(),
  },
  twoClassLabels: { shape: [10], data: [0, 1, 1, 0, 1, 0, 0, 1, 1, 0] },
};

/** The names of the notebook's tensors. */
export type NotebookTensor = keyof typeof NOTEBOOK_TENSORS;

const INTEGER_TENSORS = new Set<NotebookTensor>([
  "binaryLabels",
  "threeClassLabels",
  "twoClassLabels",
]);

function TensorEditor(
  { name, label, help }: { name: NotebookTensor; label: string; help: string },
) {
  const id = `nb-${name}`;
  const text = formatTensor(NOTEBOOK_TENSORS[name], INTEGER_TENSORS.has(name));
  return (
    <div class="control tensor" data-tensor={name}>
      <label for={id}>
        <code>{label}</code>
      </label>
      <textarea
        id={id}
        name={name}
        rows={Math.min(11, text.split("\n").length + 1)}
        spellcheck={false}
        autocomplete="off"
        aria-describedby={`${id}-help ${id}-error`}
      >
        {text}
      </textarea>
      <p class="help" id={`${id}-help`}>{help}</p>
      <p class="field-error" id={`${id}-error`} role="alert" hidden></p>
    </div>
  );
}

/** A value the page's script fills from the API, labelled by the computation that gives it. */
function Value({ id, label }: { id: string; label: string }) {
  return (
    <div class="value">
      <span class="value-label">{label}</span>
      <output id={id} class="value-number" aria-live="polite">…</output>
    </div>
  );
}

/** The lesson that shows where losses the notebook finds equal part, with extreme values. */
const STABILITY = lessonPath(LESSONS.find((lesson) => lesson.slug === "stability")!);

/** The notebook page. */
export function NotebookPage() {
  return (
    <Layout
      title="The loss functions notebook, with live numbers"
      description="L1, MSE, BCE, BCE with logits, NLL and cross-entropy: by hand and through the API, and which of them are the same computation."
      page="notebook"
      styles={["/vendor/katex/katex.min.css"]}
    >
      <h1>The loss functions notebook, live</h1>
      <p class="lead">
        A notebook showed six PyTorch losses, computed them by hand, and found which ones are the
        same computation. Here it is again with the tensors it printed: every number below comes
        from this site's API, and changes when you edit a tensor.
      </p>
      <div class="buttons">
        <button type="button" id="redraw">Draw random tensors</button>
        <button type="button" id="restore">Back to the notebook's tensors</button>
        <span class="help" id="draw-note" aria-live="polite">the notebook's printed tensors</span>
      </div>
      <p class="field-error" id="notebook-error" role="alert" hidden></p>

      <section aria-labelledby="l1-title">
        <h2 id="l1-title">Mean absolute error, and mean squared error</h2>
        <p>
          <code>nn.L1Loss()</code> averages <Formula tex={String.raw`|x_n - y_n|`} />{" "}
          over all elements; the notebook checks it with{" "}
          <code>torch.abs(input-target).sum()/input.numel()</code>. MSE does the same with{" "}
          <Formula tex={String.raw`(x_n - y_n)^2`} />.
        </p>
        <div class="pair">
          <TensorEditor name="l1Input" label="input = torch.randn(3, 5)" help="The prediction" />
          <TensorEditor name="l1Target" label="target = torch.randn(3, 5)" help="The target" />
        </div>
        <div class="values">
          <Value id="nb-l1" label="nn.L1Loss()(input, target)" />
          <Value id="nb-l1-hand" label="|input − target|.sum() / numel" />
          <Value id="nb-mse" label="nn.MSELoss()(input, target)" />
          <Value id="nb-mse-hand" label="(input − target)².sum() / numel" />
        </div>
        <div id="nb-l1-terms" class="terms"></div>
      </section>

      <section aria-labelledby="bce-title">
        <h2 id="bce-title">BCELoss and BCEWithLogitsLoss</h2>
        <p>
          Both are binary cross-entropy. <code>BCELoss</code>{" "}
          takes probabilities (a model ending in a sigmoid), <code>BCEWithLogitsLoss</code>{" "}
          takes logits and applies the sigmoid itself, in a numerically stable way. Given{" "}
          <Formula tex={String.raw`p = \sigma(z)`} />, they agree.
        </p>
        <div class="pair">
          <TensorEditor
            name="binaryLogits"
            label="logits = torch.randn(10)"
            help="Log-odds of class 1"
          />
          <TensorEditor
            name="binaryLabels"
            label="labels = torch.randint(0, 2, (10,)).float()"
            help="0 or 1"
          />
        </div>
        <p class="derived">
          <span>probs = torch.sigmoid(logits):</span> <code id="nb-probs">…</code>
        </p>
        <div class="values" data-stability={STABILITY}>
          <Value id="nb-bce" label="nn.BCELoss()(probs, labels)" />
          <Value id="nb-bce-logits" label="nn.BCEWithLogitsLoss()(logits, labels)" />
        </div>
      </section>

      <section aria-labelledby="ce-title">
        <h2 id="ce-title">NLLLoss and CrossEntropyLoss</h2>
        <p>
          <code>CrossEntropyLoss</code> is <code>NLLLoss</code>{" "}
          after a log-softmax: it takes raw scores, one per class, and integer labels.
        </p>
        <div class="pair">
          <TensorEditor
            name="threeClassOutput"
            label="model_output = torch.randn(10, 3)"
            help="One score per class"
          />
          <TensorEditor
            name="threeClassLabels"
            label="labels = torch.randint(0, 3, (10,))"
            help="Class indices, 0 to 2"
          />
        </div>
        <div class="values" data-stability={STABILITY}>
          <Value id="nb-nll3" label="nn.NLLLoss()(torch.softmax(model_output, -1).log(), labels)" />
          <Value id="nb-ce3" label="nn.CrossEntropyLoss()(model_output, labels)" />
        </div>
      </section>

      <section aria-labelledby="two-title">
        <h2 id="two-title">With two classes, all four agree</h2>
        <p>
          With two classes, the softmax of the two scores is the sigmoid of their difference:{" "}
          <Formula tex={String.raw`\mathrm{softmax}(z)_1 = \sigma(z_1 - z_0)`} />. So cross-entropy
          equals BCE on the class-1 probability, and BCE-with-logits on the logit difference.
        </p>
        <div class="pair">
          <TensorEditor
            name="twoClassOutput"
            label="model_output = torch.randn(10, 2)"
            help="One score per class"
          />
          <TensorEditor
            name="twoClassLabels"
            label="labels = torch.randint(0, 2, (10,))"
            help="Class indices, 0 or 1"
          />
        </div>
        <div class="values" data-stability={STABILITY}>
          <Value id="nb-ce2" label="nn.CrossEntropyLoss()(model_output, labels)" />
          <Value id="nb-nll2" label="nn.NLLLoss()(torch.softmax(model_output, -1).log(), labels)" />
          <Value id="nb-bce2" label="nn.BCELoss()(probs[:, 1], labels.float())" />
          <Value
            id="nb-bce-logits2"
            label="nn.BCEWithLogitsLoss()(model_output[:, 1] − model_output[:, 0], labels.float())"
          />
        </div>
      </section>
    </Layout>
  );
}
