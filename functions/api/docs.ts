/**
 * The API reference page: Swagger UI (npm `swagger-ui-dist`), self-hosted from the site's
 * `vendor/swagger-ui/` folder (copied there by the site's build, `site/vendor.ts`), reading
 * `/api/v1/openapi.json`.
 *
 * @module
 */
import { API_V1 } from "./paths.ts";

/** Where the site serves Swagger UI's files. */
export const SWAGGER_UI_PATH = "/vendor/swagger-ui";

/** The files of `swagger-ui-dist` that the page needs, with their licenses. */
export const SWAGGER_UI_FILES = [
  "swagger-ui-bundle.js",
  "swagger-ui-bundle.js.LICENSE.txt",
  "swagger-ui.css",
  "LICENSE",
  "NOTICE",
];

/**
 * The HTML of the reference page for the OpenAPI document at `specUrl`, its inline script
 * marked with `nonce` (the page's Content-Security-Policy allows no other inline script).
 */
export function docsPage(specUrl = `${API_V1}/openapi.json`, nonce?: string): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>PyTorch losses: API reference</title>
  <link rel="icon" href="/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="${SWAGGER_UI_PATH}/swagger-ui.css">
</head>
<body>
  <div id="reference"></div>
  <script src="${SWAGGER_UI_PATH}/swagger-ui-bundle.js"></script>
  <script${nonce ? ` nonce="${nonce}"` : ""}>
    window.ui = SwaggerUIBundle({
      url: ${JSON.stringify(specUrl)},
      dom_id: "#reference",
      deepLinking: true,
      tryItOutEnabled: true,
    });
  </script>
</body>
</html>
`;
}
