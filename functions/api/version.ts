/**
 * The release's version, from `deno.json`: what `GET /api/v1/health` and the OpenAPI
 * document's `info.version` say.
 *
 * @module
 */
import config from "../../deno.json" with { type: "json" };

/** This release's version, as `deno.json` gives it (semver). */
export const VERSION: string = config.version;
