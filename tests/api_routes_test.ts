/**
 * The app's routes are its one route table: every route has its OpenAPI operation (and the
 * document has no other), a wrong method gets a 405 whose `Allow` lists the route's methods, a
 * plain `OPTIONS` answers them, and a CORS preflight allows the methods the routes have.
 */
import assert from "node:assert/strict";
import { losses } from "../lib/mod.ts";
import { createApp } from "../functions/app.ts";
import { buildOpenApi, openApiPath } from "../functions/api/openapi.ts";

const app = createApp({ log: () => {} });
/** The routes with a handler of their own (not `use` middleware), as `METHOD /path`. */
const routes = [
  ...new Set(
    app.routes.filter((route) => route.method !== "ALL").map((route) =>
      `${route.method} ${route.path}`
    ),
  ),
];

Deno.test("every route has its OpenAPI operation, and the document has no other", () => {
  const document = buildOpenApi(app.routes);
  const expected = routes.flatMap((route) => {
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
  assert.ok(routes.length >= 6, routes.join(", "));
});

Deno.test("405, OPTIONS and CORS read the methods from the routes", async () => {
  const allowOf = (
    path: string,
  ) => [...new Set(routes.filter((r) => r.split(" ")[1] === path).map((r) => r.split(" ")[0]))];
  for (const path of ["/api/health", "/api/losses/:name"]) {
    const url = path.replace(":name", "mse");
    const methods = allowOf(path);
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
  const preflight = await app.request("/api/losses/mse", {
    method: "OPTIONS",
    headers: { Origin: "https://example.org", "Access-Control-Request-Method": "POST" },
  });
  assert.equal(preflight.status, 204);
  const allowed = preflight.headers.get("Access-Control-Allow-Methods")!.split(",");
  for (const method of new Set(routes.map((r) => r.split(" ")[0]))) {
    assert.ok(allowed.includes(method), `preflight allows ${method}: ${allowed}`);
  }
  const missing = await app.request("/api/nothing-here", { method: "DELETE" });
  assert.equal(missing.status, 404, "a path with no route is 404 whatever the method");
});
