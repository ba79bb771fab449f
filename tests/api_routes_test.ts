/**
 * The app's routes are its one route table: every route under `/api/v1` has its OpenAPI
 * operation (and the document has no other), `/api` has the same routes as an alias, a wrong
 * method gets a 405 whose `Allow` lists the route's methods, a plain `OPTIONS` answers them, and
 * a CORS preflight allows the methods the routes have, under both prefixes.
 */
import assert from "node:assert/strict";
import { losses } from "../lib/mod.ts";
import { createApp } from "../functions/app.ts";
import { buildOpenApi, openApiPath } from "../functions/api/openapi.ts";
import { API_ALIAS, API_V1 } from "../functions/api/paths.ts";

const app = createApp({ log: () => {} });
/** The routes with a handler of their own (not `use` middleware), as `METHOD /path`. */
const routes = [
  ...new Set(
    app.routes.filter((route) => route.method !== "ALL").map((route) =>
      `${route.method} ${route.path}`
    ),
  ),
];
const v1 = routes.filter((route) => route.split(" ")[1].startsWith(`${API_V1}/`));
const alias = routes.filter((route) => !v1.includes(route));

Deno.test("every /api/v1 route has its OpenAPI operation, and the document has no other", () => {
  const document = buildOpenApi(app.routes);
  const expected = v1.flatMap((route) => {
    const [method, path] = route.split(" ");
    const openapi = openApiPath(path);
    const paths = openapi.includes("{name}")
      ? losses.map((loss) => openapi.replace("{name}", loss.name))
      : [openapi];
    return paths.map((p) => `${method.toLowerCase()} ${p}`);
  }).sort();
  const documented = Object.entries(document.paths).flatMap(([path, item]) =>
    Object.keys(item).map((method) => `${method} ${path}`)
  ).sort();
  assert.deepEqual(documented, expected);
  assert.ok(v1.length >= 6, v1.join(", "));
});

Deno.test("/api has exactly the routes of /api/v1, as an alias", () => {
  const unversioned = (route: string) => route.replace(` ${API_V1}/`, ` ${API_ALIAS}/`);
  assert.deepEqual(alias.sort(), v1.map(unversioned).sort());
});

Deno.test("405, OPTIONS and CORS read the methods from the routes, on both prefixes", async () => {
  const allowOf = (
    path: string,
  ) => [...new Set(routes.filter((r) => r.split(" ")[1] === path).map((r) => r.split(" ")[0]))];
  for (const prefix of [API_V1, API_ALIAS]) {
    for (const path of [`${prefix}/health`, `${prefix}/losses/:name`]) {
      const url = path.replace(":name", "mse");
      const methods = allowOf(path);
      assert.ok(methods.length > 0, path);
      const wrong = await app.request(url, { method: "DELETE" });
      assert.equal(wrong.status, 405);
      const allow = wrong.headers.get("Allow")!.split(", ");
      for (const method of methods) assert.ok(allow.includes(method), `${url}: Allow ${allow}`);
      assert.ok(allow.includes("OPTIONS"));
      assert.equal((await wrong.json()).field, "method");
      const options = await app.request(url, { method: "OPTIONS" });
      assert.equal(options.status, 204);
      assert.equal(options.headers.get("Allow"), wrong.headers.get("Allow"));
    }
    const preflight = await app.request(`${prefix}/losses/mse`, {
      method: "OPTIONS",
      headers: { Origin: "https://example.org", "Access-Control-Request-Method": "POST" },
    });
    assert.equal(preflight.status, 204);
    const allowed = preflight.headers.get("Access-Control-Allow-Methods")!.split(",");
    for (const method of new Set(routes.map((r) => r.split(" ")[0]))) {
      assert.ok(allowed.includes(method), `preflight allows ${method}: ${allowed}`);
    }
    const missing = await app.request(`${prefix}/nothing-here`, { method: "DELETE" });
    assert.equal(missing.status, 404, "a path with no route is 404 whatever the method");
  }
});

Deno.test("the alias answers as /api/v1 does", async () => {
  const post = (prefix: string) =>
    app.request(`${prefix}/losses/cross_entropy`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ inputs: { input: [[0.5, 1.5, -1]], target: [1] }, grad: true }),
    });
  for (const request of [post, (prefix: string) => app.request(`${prefix}/losses/mse`)]) {
    const [stable, aliased] = await Promise.all([request(API_V1), request(API_ALIAS)]);
    assert.equal(aliased.status, stable.status);
    assert.deepEqual(await aliased.json(), await stable.json());
  }
  const docs = await app.request(`${API_ALIAS}/docs`);
  assert.match(docs.headers.get("Content-Security-Policy") ?? "", /'nonce-/);
  assert.match(await docs.text(), new RegExp(`${API_V1}/openapi\\.json`));
});
