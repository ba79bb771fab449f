/**
 * The catalog of losses, derived from the library's registry: what `GET /api/v1/losses` and
 * `GET /api/v1/losses/{name}` answer, and the example request of each loss.
 *
 * @module
 */
import {
  type AnyLoss,
  createRandom,
  type InputSpec,
  losses,
  type LossSource,
  namesOf,
  optionsOf,
  type OptionSpec,
  type PlainTensor,
  sourceOf,
} from "../../lib/mod.ts";
import { API_V1 } from "./paths.ts";
import type { ComputeRequest } from "./request.ts";

/** The seed of every example: the same examples on every start and every runtime. */
export const EXAMPLE_SEED = 2024;

/**
 * One loss as the catalog describes it: its registry entry's data (not its functions), every
 * option included, with its route names and an example.
 */
export interface CatalogEntry extends
  Pick<
    AnyLoss,
    | "name"
    | "functional"
    | "slug"
    | "category"
    | "summary"
    | "formula"
    | "formulas"
    | "outputShape"
    | "teaching"
    | "keywords"
  > {
  /**
   * The other names the routes accept: the functional name, with and without `_loss`, and the
   * slug.
   */
  aliases: string[];
  /** Where the loss is defined: PyTorch (with its documentation page) or another library. */
  source: LossSource;
  inputs: InputSpec[];
  options: OptionSpec[];
  /** A valid request body for `POST /api/v1/losses/{name}`. */
  example: ComputeRequest;
  /** This entry's URL. */
  url: string;
}

/** The catalog: every loss of the registry, in its order. */
export interface Catalog {
  count: number;
  losses: CatalogEntry[];
}

/**
 * Valid random inputs for `loss`: its `sample` drawn with `seed`, floats to 4 significant digits
 * as the notebook prints them (what `GET /api/losses/{name}/sample?seed=N` answers).
 */
export function sampleInputs(loss: AnyLoss, seed: number): Record<string, PlainTensor> {
  const inputs: Record<string, PlainTensor> = {};
  for (const [name, tensor] of Object.entries(loss.sample(createRandom(seed)))) {
    const data = tensor.dtype === "int"
      ? tensor.data
      : tensor.data.map((value) => Number(value.toPrecision(4)));
    inputs[name] = { ...tensor, data };
  }
  return inputs;
}

/** A valid request for `loss`: its sample with a fixed seed, with gradients. */
export function exampleRequest(loss: AnyLoss): ComputeRequest {
  return { inputs: sampleInputs(loss, EXAMPLE_SEED), options: {}, grad: true };
}

/** The catalog entry of `loss`. */
export function catalogEntry(loss: AnyLoss): CatalogEntry {
  return {
    name: loss.name,
    aliases: namesOf(loss).slice(1),
    functional: loss.functional,
    slug: loss.slug,
    category: loss.category,
    summary: loss.summary,
    formula: loss.formula,
    formulas: loss.formulas ?? [],
    outputShape: loss.outputShape,
    source: sourceOf(loss),
    teaching: loss.teaching,
    keywords: loss.keywords ?? [],
    inputs: loss.inputs.map((input) => ({ ...input })),
    options: optionsOf(loss).map((option) => ({ ...option })),
    example: exampleRequest(loss),
    url: `${API_V1}/losses/${loss.name}`,
  };
}

/**
 * The catalog of every loss in the registry.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildCatalog } from "./catalog.ts";
 * const catalog = buildCatalog();
 * assert.ok(catalog.losses.some((entry) => entry.name === "MSELoss"));
 * ```
 */
export function buildCatalog(): Catalog {
  return { count: losses.length, losses: losses.map(catalogEntry) };
}
