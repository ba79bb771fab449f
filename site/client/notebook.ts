/// <reference lib="dom" />
/**
 * `/notebook`: reads the notebook's tensors (as printed, or as edited, or redrawn), derives the
 * probabilities and log-probabilities the notebook derived, and asks the API for each loss, so
 * that the equal ones show equal numbers side by side.
 *
 * @module
 */
import { createRandom } from "../../lib/core/random.ts";
import { logSoftmaxRows } from "../../lib/ops/log_softmax.ts";
import { compute, type ComputeRequest, toWire } from "./api.ts";
import { element, formatValue, tensorTable } from "./render.ts";
import { type FlatTensor, formatTensor, parseTensor, TensorTextError } from "./tensor_text.ts";

const TENSORS = [
  "l1Input",
  "l1Target",
  "binaryLogits",
  "binaryLabels",
  "threeClassOutput",
  "threeClassLabels",
  "twoClassOutput",
  "twoClassLabels",
] as const;

type TensorName = typeof TENSORS[number];
type Tensors = Record<TensorName, FlatTensor>;

const INTEGER = new Set<TensorName>(["binaryLabels", "threeClassLabels", "twoClassLabels"]);

/** How the notebook drew each tensor. */
const DRAWS: Record<TensorName, (random: ReturnType<typeof createRandom>) => FlatTensor> = {
  l1Input: (r) => r.randn([3, 5]),
  l1Target: (r) => r.randn([3, 5]),
  binaryLogits: (r) => r.randn([10]),
  binaryLabels: (r) => r.randint(0, 2, [10]),
  threeClassOutput: (r) => r.randn([10, 3]),
  threeClassLabels: (r) => r.randint(0, 3, [10]),
  twoClassOutput: (r) => r.randn([10, 2]),
  twoClassLabels: (r) => r.randint(0, 2, [10]),
};

class TensorError extends Error {
  constructor(readonly tensor: TensorName, message: string) {
    super(message);
  }
}

function area(name: TensorName): HTMLTextAreaElement {
  return document.getElementById(`nb-${name}`) as HTMLTextAreaElement;
}

function readTensors(): Tensors {
  const tensors = {} as Tensors;
  for (const name of TENSORS) {
    try {
      tensors[name] = parseTensor(area(name).value);
    } catch (error) {
      const message = error instanceof TensorTextError ? error.message : String(error);
      throw new TensorError(name, message);
    }
  }
  return tensors;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** `torch.log_softmax(x, -1)` of a (N, C) tensor, row by row, stably. */
function logSoftmax(tensor: FlatTensor, name: TensorName): FlatTensor {
  if (tensor.shape.length !== 2 || tensor.shape[1] === 0) {
    throw new TensorError(name, `expected a (N, C) matrix, got shape [${tensor.shape.join(", ")}]`);
  }
  return { shape: tensor.shape, data: logSoftmaxRows(tensor.data, tensor.shape[1]) };
}

function column(tensor: FlatTensor, index: number): FlatTensor {
  const [rows, columns] = tensor.shape;
  return {
    shape: [rows],
    data: Array.from({ length: rows }, (_, r) => tensor.data[r * columns + index]),
  };
}

/** One API call of the page: which loss, which tensors (and where they came from). */
interface Job {
  output: string;
  loss: string;
  inputs: Record<string, { tensor: FlatTensor; from: TensorName; integer?: boolean }>;
}

function jobs(t: Tensors): Job[] {
  const probs = { shape: t.binaryLogits.shape, data: t.binaryLogits.data.map(sigmoid) };
  document.getElementById("nb-probs")!.textContent = formatTensor(probs);
  const logProbs3 = logSoftmax(t.threeClassOutput, "threeClassOutput");
  const logProbs2 = logSoftmax(t.twoClassOutput, "twoClassOutput");
  if (t.twoClassOutput.shape[1] !== 2) {
    throw new TensorError("twoClassOutput", "expected two classes: a (N, 2) matrix");
  }
  const p1 = { shape: [t.twoClassOutput.shape[0]], data: column(logProbs2, 1).data.map(Math.exp) };
  const z1 = column(t.twoClassOutput, 1), z0 = column(t.twoClassOutput, 0);
  const difference = { shape: z1.shape, data: z1.data.map((v, i) => v - z0.data[i]) };
  const l1 = {
    input: { tensor: t.l1Input, from: "l1Input" },
    target: { tensor: t.l1Target, from: "l1Target" },
  } as const;
  const binaryTarget = { tensor: t.binaryLabels, from: "binaryLabels" } as const;
  const twoTarget = { tensor: t.twoClassLabels, from: "twoClassLabels" } as const;
  const twoIndices = { ...twoTarget, integer: true };
  const threeIndices = {
    tensor: t.threeClassLabels,
    from: "threeClassLabels",
    integer: true,
  } as const;
  return [
    { output: "nb-l1", loss: "L1Loss", inputs: l1 },
    { output: "nb-mse", loss: "MSELoss", inputs: l1 },
    {
      output: "nb-bce",
      loss: "BCELoss",
      inputs: { input: { tensor: probs, from: "binaryLogits" }, target: binaryTarget },
    },
    {
      output: "nb-bce-logits",
      loss: "BCEWithLogitsLoss",
      inputs: { input: { tensor: t.binaryLogits, from: "binaryLogits" }, target: binaryTarget },
    },
    {
      output: "nb-nll3",
      loss: "NLLLoss",
      inputs: { input: { tensor: logProbs3, from: "threeClassOutput" }, target: threeIndices },
    },
    {
      output: "nb-ce3",
      loss: "CrossEntropyLoss",
      inputs: {
        input: { tensor: t.threeClassOutput, from: "threeClassOutput" },
        target: threeIndices,
      },
    },
    {
      output: "nb-ce2",
      loss: "CrossEntropyLoss",
      inputs: { input: { tensor: t.twoClassOutput, from: "twoClassOutput" }, target: twoIndices },
    },
    {
      output: "nb-nll2",
      loss: "NLLLoss",
      inputs: { input: { tensor: logProbs2, from: "twoClassOutput" }, target: twoIndices },
    },
    {
      output: "nb-bce2",
      loss: "BCELoss",
      inputs: { input: { tensor: p1, from: "twoClassOutput" }, target: twoTarget },
    },
    {
      output: "nb-bce-logits2",
      loss: "BCEWithLogitsLoss",
      inputs: { input: { tensor: difference, from: "twoClassOutput" }, target: twoTarget },
    },
  ];
}

/** `|x - y|` and `(x - y)²` summed and divided by `numel`, in the browser: the notebook's check. */
function byHand(t: Tensors): void {
  const n = t.l1Input.data.length;
  const same = n === t.l1Target.data.length;
  const diffs = t.l1Input.data.map((x, i) => x - t.l1Target.data[i]);
  const show = (id: string, value: number) => {
    document.getElementById(id)!.textContent = same ? formatValue(value) : "shapes differ";
  };
  show("nb-l1-hand", diffs.reduce((s, d) => s + Math.abs(d), 0) / n);
  show("nb-mse-hand", diffs.reduce((s, d) => s + d * d, 0) / n);
}

function showError(name: TensorName | null, message: string): void {
  const slot = document.getElementById(name ? `nb-${name}-error` : "notebook-error")!;
  slot.textContent = message;
  slot.hidden = false;
  if (name) area(name).setAttribute("aria-invalid", "true");
}

function clearErrors(): void {
  for (const slot of document.querySelectorAll<HTMLElement>(".field-error")) {
    slot.hidden = true;
    slot.textContent = "";
  }
  for (const name of TENSORS) area(name).removeAttribute("aria-invalid");
}

function markAgreement(): void {
  for (const group of document.querySelectorAll<HTMLElement>(".values")) {
    const numbers = [...group.querySelectorAll("output")].map((o) => o.textContent ?? "");
    let note = group.nextElementSibling as HTMLElement | null;
    if (!note?.classList.contains("agreement")) {
      note = element("p", "agreement");
      group.after(note);
    }
    const numeric = numbers.filter((text) => /^-?\d/.test(text));
    const agree = numeric.length === numbers.length && new Set(numbers).size === 1;
    // Where the losses agree on ordinary values, extreme ones part them: say so, and where.
    const shown = numbers.every((text) => /\d|∞|inf|nan/i.test(text));
    const parted = !agree && shown && group.dataset.stability !== undefined;
    note.classList.toggle("parted", parted);
    if (agree) note.textContent = `All equal: ${numbers[0]}`;
    else if (parted) {
      const link = element("a", "", "the stability lesson");
      link.setAttribute("href", group.dataset.stability!);
      note.replaceChildren(
        "Not equal here: with values this extreme, a sigmoid or a softmax rounds to 0 or 1 " +
          "before the log, and the loss from the probabilities clamps or is infinite (see ",
        link,
        ").",
      );
    } else note.textContent = "";
    note.hidden = !agree && !parted;
  }
}

/** Starts the notebook page. */
export function startNotebook(): void {
  const printed = Object.fromEntries(TENSORS.map((name) => [name, area(name).value]));
  let draw = 0;
  let pending: AbortController | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const run = async () => {
    pending?.abort();
    const controller = new AbortController();
    pending = controller;
    clearErrors();
    let work: Job[];
    let tensors: Tensors;
    try {
      tensors = readTensors();
      work = jobs(tensors);
    } catch (error) {
      if (error instanceof TensorError) {
        showError(error.tensor, `${error.tensor}: ${error.message}`);
      }
      return;
    }
    byHand(tensors);
    const results = await Promise.all(work.map(async (job) => {
      const request: ComputeRequest = { inputs: {}, options: {}, dtype: "float32" };
      for (const [name, input] of Object.entries(job.inputs)) {
        request.inputs[name] = toWire(input.tensor, input.integer);
      }
      try {
        return { job, result: await compute(job.loss, request, controller.signal) };
      } catch {
        return null;
      }
    }));
    if (controller.signal.aborted) return;
    for (const entry of results) {
      if (!entry) continue;
      const { job, result } = entry;
      const output = document.getElementById(job.output)!;
      if ("answer" in result) {
        output.textContent = formatValue(result.answer.output.data[0]);
      } else {
        output.textContent = "error";
        const field = /^inputs\.([a-z_0-9]+)/.exec(result.problem.field ?? "")?.[1];
        const source = field ? job.inputs[field]?.from : undefined;
        showError(source ?? null, `${job.loss}: ${result.problem.detail}`);
      }
    }
    markAgreement();
    await showTerms(tensors, controller.signal);
  };

  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(run, 120);
  };

  for (const name of TENSORS) area(name).addEventListener("input", schedule);
  document.getElementById("redraw")!.addEventListener("click", () => {
    draw += 1;
    const random = createRandom(draw);
    for (const name of TENSORS) {
      area(name).value = formatTensor(DRAWS[name](random), INTEGER.has(name));
    }
    document.getElementById("draw-note")!.textContent = `random tensors, seed ${draw}`;
    schedule();
  });
  document.getElementById("restore")!.addEventListener("click", () => {
    for (const name of TENSORS) area(name).value = printed[name];
    document.getElementById("draw-note")!.textContent = "the notebook's printed tensors";
    schedule();
  });
  run();
}

async function showTerms(t: Tensors, signal: AbortSignal): Promise<void> {
  const request: ComputeRequest = {
    inputs: { input: toWire(t.l1Input), target: toWire(t.l1Target) },
    options: { reduction: "none" },
    dtype: "float32",
  };
  const result = await compute("L1Loss", request, signal).catch(() => null);
  const box = document.getElementById("nb-l1-terms")!;
  if (result && "answer" in result) {
    box.replaceChildren(
      tensorTable(result.answer.output, "|input − target|, from L1Loss(reduction='none')"),
    );
  }
}
