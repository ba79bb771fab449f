/**
 * The list of loss modules, in the order of PyTorch's documentation.  Adding a loss means
 * writing its module and adding it here; everything else derives from this list.
 *
 * @module
 */
import type { AnyLoss } from "../registry.ts";
import { l1Loss } from "./l1.ts";
import { mseLoss } from "./mse.ts";

/** Every loss module's definition. */
export const LOSSES: AnyLoss[] = [
  l1Loss,
  mseLoss,
];
