/// <reference lib="dom" />
/**
 * The site's one script: formulas fitted to their boxes on every page, then each page's part,
 * named by `<body data-page>`.
 *
 * @module
 */
import { fitFormulas } from "./fit.ts";
import { startHome } from "./home.ts";
import { startLossPage } from "./loss_page.ts";
import { startNotebook } from "./notebook.ts";
import { startCalibration } from "./lessons/calibration.ts";
import { startImbalance } from "./lessons/imbalance.ts";
import { startOutliers } from "./lessons/outliers.ts";
import { startStability } from "./lessons/stability.ts";

const pages: Record<string, () => void> = {
  home: startHome,
  loss: startLossPage,
  notebook: startNotebook,
  "lesson-outliers": startOutliers,
  "lesson-imbalance": startImbalance,
  "lesson-stability": startStability,
  "lesson-calibration": startCalibration,
};

fitFormulas();
pages[document.body.dataset.page ?? ""]?.();
