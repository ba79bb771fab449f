/**
 * The list of loss modules, in the order of PyTorch's documentation.  Adding a loss means
 * writing its module and adding it here; everything else derives from this list.
 *
 * @module
 */
import type { AnyLoss } from "../core/registry.ts";
import { bceWithLogitsLoss } from "./bce_with_logits.ts";
import { bceLoss } from "./bce.ts";
import { cosineEmbeddingLoss } from "./cosine_embedding.ts";
import { crossEntropyLoss } from "./cross_entropy.ts";
import { ctcLoss } from "./ctc.ts";
import { gaussianNLLLoss } from "./gaussian_nll.ts";
import { hingeEmbeddingLoss } from "./hinge_embedding.ts";
import { huberLoss } from "./huber.ts";
import { klDivLoss } from "./kl_div.ts";
import { l1Loss } from "./l1.ts";
import { marginRankingLoss } from "./margin_ranking.ts";
import { mseLoss } from "./mse.ts";
import { multiMarginLoss } from "./multi_margin.ts";
import { multiLabelMarginLoss } from "./multilabel_margin.ts";
import { multiLabelSoftMarginLoss } from "./multilabel_soft_margin.ts";
import { nllLoss } from "./nll.ts";
import { poissonNLLLoss } from "./poisson_nll.ts";
import { smoothL1Loss } from "./smooth_l1.ts";
import { softMarginLoss } from "./soft_margin.ts";
import { tripletMarginWithDistanceLoss } from "./triplet_margin_with_distance.ts";
import { tripletMarginLoss } from "./triplet_margin.ts";

/** Every loss module's definition, in the order of PyTorch's documentation. */
export const LOSSES: AnyLoss[] = [
  l1Loss,
  mseLoss,
  crossEntropyLoss,
  ctcLoss,
  nllLoss,
  poissonNLLLoss,
  gaussianNLLLoss,
  klDivLoss,
  bceLoss,
  bceWithLogitsLoss,
  marginRankingLoss,
  hingeEmbeddingLoss,
  multiLabelMarginLoss,
  huberLoss,
  smoothL1Loss,
  softMarginLoss,
  multiLabelSoftMarginLoss,
  cosineEmbeddingLoss,
  multiMarginLoss,
  tripletMarginLoss,
  tripletMarginWithDistanceLoss,
];
