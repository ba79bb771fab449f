/// <reference lib="dom" />
/**
 * The site's one script: each page runs its part, named by `<body data-page>`.
 *
 * @module
 */
import { startHome } from "./home.ts";
import { startLossPage } from "./loss_page.ts";
import { startNotebook } from "./notebook.ts";

const pages: Record<string, () => void> = {
  home: startHome,
  loss: startLossPage,
  notebook: startNotebook,
};

pages[document.body.dataset.page ?? ""]?.();
