/**
 * Where the API answers.  `/api/v1` is the documented, stable contract: the OpenAPI document,
 * the site and the typed client use it.  `/api` answers the same routes as an alias, for the
 * callers of the unversioned paths of earlier releases; it is not documented.
 *
 * @module
 */

/** The documented, stable prefix of every route. */
export const API_V1 = "/api/v1";

/** The undocumented alias of {@link API_V1}: the same routes, the same answers. */
export const API_ALIAS = "/api";
