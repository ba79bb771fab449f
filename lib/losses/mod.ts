/**
 * The list of loss modules, in the order of PyTorch's documentation.  Adding a loss means
 * writing its module and adding it here; everything else derives from this list.
 *
 * @module
 */
import type { AnyLoss } from "../registry.ts";
import { bceWithLogitsLoss } from "./bce-with-logits.ts";
import { bceLoss } from "./bce.ts";
import { cosineEmbeddingLoss } from "./cosine-embedding.ts";
import { crossEntropyLoss } from "./cross-entropy.ts";
import { ctcLoss } from "./ctc.ts";
import { gaussianNLLLoss } from "./gaussian-nll.ts";
import { hingeEmbeddingLoss } from "./hinge-embedding.ts";
import { huberLoss } from "./huber.ts";
import { klDivLoss } from "./kl-div.ts";
import { l1Loss } from "./l1.ts";
import { marginRankingLoss } from "./margin-ranking.ts";
import { mseLoss } from "./mse.ts";
import { multiMarginLoss } from "./multi-margin.ts";
import { multiLabelMarginLoss } from "./multilabel-margin.ts";
import { multiLabelSoftMarginLoss } from "./multilabel-soft-margin.ts";
import { nllLoss } from "./nll.ts";
import { poissonNLLLoss } from "./poisson-nll.ts";
import { smoothL1Loss } from "./smooth-l1.ts";
import { softMarginLoss } from "./soft-margin.ts";
import { tripletMarginWithDistanceLoss } from "./triplet-margin-with-distance.ts";
import { tripletMarginLoss } from "./triplet-margin.ts";

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
