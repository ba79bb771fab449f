/**
 * Each lesson's text, figure and controls, by the slug of its entry in `site/lessons.ts`;
 * `lesson.tsx` puts them in the lesson's frame.  The numbers of a run are the page's script's
 * (`site/client/lessons/`), from the API; nothing here states an outcome.
 *
 * @module
 */
import type { Child } from "hono/jsx";
import { Choice, type LessonContent, Slider } from "./lesson.tsx";

/** A loss's option as a control names it: `HuberLoss's δ (delta)`. */
function OptionLabel({ loss, symbol, option }: { loss: string; symbol: string; option: string }) {
  return (
    <>
      {loss}'s {symbol} (<code>{option}</code>)
    </>
  );
}

function Chart({ id, label, caption }: { id: string; label: string; caption: Child }) {
  return (
    <figure>
      <div id={id} class="lesson-chart" role="img" aria-label={label}></div>
      <figcaption>{caption}</figcaption>
    </figure>
  );
}

const outliers: LessonContent = {
  intro: (
    <>
      <p>
        Twenty-four points lie along a line of slope 0.8; three outliers lie far below it, on the
        right. Four lines start flat and are fitted by gradient descent, one under each loss. Watch
        which lines the outliers tilt, and the segments hanging from one line at each point: each is
        the pull of that point on the line, half of <code>N · ∂L/∂ŷ</code>.
      </p>
      <p>
        Under MSE a point's pull grows with its residual (it reaches the point); under L1 every
        point pulls as hard as any other; Huber and smooth L1 pull like MSE near the line and like
        L1 beyond δ or β. L1's loss zigzags: its gradient does not shrink near the fit, so a fixed
        step overshoots. Drag the outliers, move δ and β, and train again.
      </p>
    </>
  ),
  figure: (
    <>
      <Chart
        id="fit-chart"
        label="The points, the outliers and the four fitted lines"
        caption="The points and the four lines; the segments are each point's pull under the loss chosen beside. Drag an outlier to move it."
      />
      <Chart
        id="loss-chart"
        label="Each loss over the steps"
        caption="Each loss's value over the steps (log scale)."
      />
    </>
  ),
  controls: (
    <>
      <Slider
        name="delta"
        label={<OptionLabel loss="HuberLoss" symbol="δ" option="delta" />}
        min={0.1}
        max={3}
        step={0.1}
        value={1}
        help="Where Huber turns from squared to linear"
      />
      <Slider
        name="beta"
        label={<OptionLabel loss="SmoothL1Loss" symbol="β" option="beta" />}
        min={0.1}
        max={3}
        step={0.1}
        value={0.3}
        help="Where smooth L1 turns from squared to linear"
      />
      <Choice
        name="pulls"
        label="Show the pulls of"
        options={["L1Loss", "MSELoss", "HuberLoss", "SmoothL1Loss"]}
        value="MSELoss"
        view
      />
    </>
  ),
  steps: 150,
  rate: 0.5,
  rateMax: 0.9,
  question: "Which loss's line will the outliers pull furthest from the inliers' slope?",
  choices: ["L1Loss", "MSELoss", "HuberLoss", "SmoothL1Loss"].map((name) => ({
    value: name,
    label: name,
  })),
};

const imbalance: LessonContent = {
  intro: (
    <>
      <p>
        Two hundred points of a common class and, at the ratio you choose, far fewer of a rare one,
        overlapping. Four logistic models are trained, three with{" "}
        <code>BCEWithLogitsLoss</code>: plain; with <code>pos_weight</code>{" "}
        set to the ratio of the counts, which multiplies the rare class's term; with{" "}
        <code>weight</code>, one weight per point that makes both classes weigh the same; and a
        fourth with torchvision's{" "}
        <code>SigmoidFocalLoss</code>, which scales each point's cross entropy by{" "}
        <code>(1 − p_t)^γ</code>{" "}
        so that the points already right count less, and weighs the rare class by α (torchvision's
        defaults: γ = 2, α = 0.25).
      </p>
      <p>
        Watch the boundaries (where the model's logit is 0) and the table: recall is the share of
        the rare points the model finds, precision the share of its finds that are rare. The plain
        loss is dominated by the common class and gives the rare one up.
      </p>
    </>
  ),
  figure: (
    <>
      <Chart
        id="boundary-chart"
        label="The points of both classes and each model's decision boundary"
        caption="The common and the rare class, and each model's boundary z = 0 (the rare side is where the rare points are). weight's line is dashed: where it lies on pos_weight's, the two weigh the classes in the same ratio."
      />
      <div class="table-scroll">
        <table id="scores" class="lesson-table">
          <caption>The rare class, on the training points</caption>
          <thead>
            <tr>
              <th scope="col">loss</th>
              <th scope="col">recall</th>
              <th scope="col">precision</th>
            </tr>
          </thead>
          <tbody></tbody>
        </table>
      </div>
      <Chart
        id="loss-chart"
        label="Each loss over the steps"
        caption="Each loss's value over the steps (each weighs the points its own way)."
      />
    </>
  ),
  controls: (
    <>
      <Slider
        name="ratio"
        label="Common points per rare point"
        min={1}
        max={50}
        step={1}
        value={10}
        help="From 1:1 to 50:1"
      />
      <Slider
        name="gamma"
        label={<OptionLabel loss="SigmoidFocalLoss" symbol="γ" option="gamma" />}
        min={0}
        max={5}
        step={0.5}
        value={2}
        help="How much the points already right are discounted; 0 is the plain cross entropy"
      />
      <Slider
        name="alpha"
        label={<OptionLabel loss="SigmoidFocalLoss" symbol="α" option="alpha" />}
        min={0}
        max={1}
        step={0.05}
        value={0.25}
        help="The weight of the rare (positive) class; the common one gets 1 − α"
      />
    </>
  ),
  steps: 150,
  rate: 1,
  rateMax: 5,
  question: "Against the plain loss, what will pos_weight do to the rare class?",
  choices: [
    {
      value: "trade",
      label: "find more of it, with more false alarms (recall up, precision down)",
    },
    { value: "both-up", label: "find more of it, and more precisely (both up)" },
    { value: "no-gain", label: "find no more of it (recall not up)" },
  ],
};

const stability: LessonContent = {
  intro: (
    <>
      <p>
        A model that ends in a sigmoid and feeds <code>BCELoss</code> computes the same loss as{" "}
        <code>BCEWithLogitsLoss</code>{" "}
        on the logit, until the sigmoid rounds to exactly 1 (or 0): then <code>log(1 − p)</code>
        {" "}
        is −∞, which BCELoss clamps at −100. From there its loss is flat at 100 and its gradient
        through the sigmoid is 0: the model cannot learn its way back. The same happens to{" "}
        <code>NLLLoss</code> after a softmax and a log, against{" "}
        <code>CrossEntropyLoss</code>, which takes the logits.
      </p>
      <p>
        Below, the sweep of z in float32 and in float64, and CTCLoss with a target too long for its
        frames. Then train eight examples of class 0 whose logits start confidently wrong at z₀:
        watch whose loss moves.
      </p>
    </>
  ),
  figure: (
    <>
      <Chart
        id="binary-chart"
        label="BCELoss of the sigmoid against BCEWithLogitsLoss, z from −100 to 100"
        caption="BCELoss(σ(z)) in float32 and float64, and BCEWithLogitsLoss(z), for target 0; the dashed line is BCELoss's clamp."
      />
      <Chart
        id="softmax-chart"
        label="NLLLoss of log softmax against CrossEntropyLoss, z from 0 to 1000"
        caption="NLLLoss(log(softmax([0, z]))) in float32 and float64, and CrossEntropyLoss([0, z]), for class 0."
      />
      <p id="softmax-infinite" class="help" aria-live="polite"></p>
      <div class="table-scroll">
        <table id="ctc" class="lesson-table">
          <caption>
            CTCLoss of the target "1 1" in two frames (it needs three: 1, blank, 1)
          </caption>
          <thead>
            <tr>
              <th scope="col">zero_infinity</th>
              <th scope="col">loss</th>
              <th scope="col">gradient</th>
            </tr>
          </thead>
          <tbody></tbody>
        </table>
      </div>
      <Chart
        id="loss-chart"
        label="Both losses of the trained logits over the steps"
        caption="The training: each loss of the eight logits over the steps."
      />
    </>
  ),
  controls: (
    <>
      <Choice
        name="dtype"
        label="dtype of the training"
        options={["float32", "float64"]}
        value="float32"
      />
      <Slider
        name="start"
        label="z₀, where the logits start"
        min={5}
        max={60}
        step={1}
        value={30}
        help="The eight logits start at z₀, z₀ + 0.25, … (class 1, confidently; the label is 0)"
      />
    </>
  ),
  steps: 150,
  rate: 2,
  rateMax: 5,
  question: "Trained from z₀ = 30 in float32, which loss will bring the logits back?",
  choices: [
    { value: "probabilities", label: "BCELoss(σ(z)) only" },
    { value: "logits", label: "BCEWithLogitsLoss(z) only" },
    { value: "both", label: "both" },
    { value: "neither", label: "neither" },
  ],
};

const calibration: LessonContent = {
  intro: (
    <>
      <p>
        A softmax classifier (a linear model with three outputs) learns three overlapping classes
        from 24 points, with <code>CrossEntropyLoss</code> and with its{" "}
        <code>label_smoothing</code>, which trains towards a target of <code>1 − ε + ε/3</code>{" "}
        for the right class and <code>ε/3</code> for the others instead of 1 and 0.
      </p>
      <p>
        The reliability diagram sorts 300 held-out points by the model's top probability and plots
        how often it is right in each bin: a calibrated model sits on the diagonal; below it, the
        model is over-confident. Watch where each line goes as it trains, and the mean confidence
        against the accuracy in the table.
      </p>
    </>
  ),
  figure: (
    <>
      <Chart
        id="reliability-chart"
        label="Reliability diagram: accuracy against confidence, by bin, for both models"
        caption="Accuracy against confidence on the held-out points: each mark is a bin of confidence (a sixth of 1/3 to 1), at its mean confidence."
      />
      <div class="table-scroll">
        <table id="calibration" class="lesson-table">
          <caption>
            The held-out points: mean top confidence, accuracy, and the calibration error (the bins'
            gaps between the two, weighted by their points)
          </caption>
          <thead>
            <tr>
              <th scope="col">loss</th>
              <th scope="col">confidence</th>
              <th scope="col">accuracy</th>
              <th scope="col">error</th>
            </tr>
          </thead>
          <tbody></tbody>
        </table>
      </div>
      <Chart
        id="loss-chart"
        label="Both losses over the steps"
        caption="Each loss's value over the steps."
      />
    </>
  ),
  controls: (
    <>
      <Slider
        name="smoothing"
        label={
          <>
            Label smoothing ε (<code>label_smoothing</code>)
          </>
        }
        min={0}
        max={0.5}
        step={0.05}
        value={0.2}
      />
      <Slider
        name="noise"
        label="Training labels redrawn at random"
        min={0}
        max={0.4}
        step={0.05}
        value={0}
        help="A share of the training points given a random class"
      />
    </>
  ),
  steps: 150,
  rate: 2,
  rateMax: 5,
  question: "With label smoothing 0.2, will the model's mean top confidence be higher or lower?",
  choices: [
    { value: "lower", label: "lower" },
    { value: "higher", label: "higher" },
  ],
};

/** Each lesson's content, by its slug. */
export const LESSON_CONTENT: Record<string, LessonContent> = {
  outliers,
  imbalance,
  stability,
  calibration,
};
