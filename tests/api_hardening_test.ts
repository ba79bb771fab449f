/**
 * The second round of hardening, on both runtimes where it applies (issue 13): bodies refused
 * for their shape before they are parsed, unknown keys before anything is copied, empty
 * tensors that cannot ask for large answers, compressed bodies, the limit on the work in
 * flight (503), slow and unreadable bodies (408, 400, never a 500), the rate limit (429), and
 * the small ones (no `/_headers`, `HEAD` lengths, a long URL named once).  Every wait is bounded.
 */
import assert from "node:assert/strict";
import { IMMUTABLE } from "../functions/adapters/cache.ts";
import { PAGE_KINDS } from "../site/build.ts";
import { lessonPath, LESSONS } from "../site/lessons.ts";
import { assertProblem, postJson } from "./api_http.ts";
import { type RunningServer, startDenoServer, startWorker, withServer } from "./api_servers.ts";

const SMALL = {
  MAX_BODY_BYTES: "20000",
  MAX_ELEMENTS: "1000",
  MAX_WORK: "5000",
  MAX_IN_FLIGHT_BYTES: "30000",
  BODY_TIMEOUT_SECONDS: "2",
};

const zeros = (n: number) => new Array(n).fill(0);
const encoder = new TextEncoder();

/** `text` compressed with `format`. */
async function compress(text: string, format: CompressionFormat): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream(format));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Posts `body` (bytes) as JSON with `headers`. */
function postBytes(
  url: string,
  body: Uint8Array<ArrayBuffer>,
  headers: Record<string, string> = {},
) {
  return fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body,
  });
}

/** Reads from `conn` until the head of an answer has come (or it closes), within 10 s. */
async function readHead(conn: Deno.Conn): Promise<string> {
  const buffer = new Uint8Array(65536);
  let text = "";
  const deadline = Date.now() + 10_000;
  while (!text.includes("\r\n\r\n") && Date.now() < deadline) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const read = await Promise.race([
      conn.read(buffer),
      new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), 10_000)),
    ]);
    clearTimeout(timer);
    if (read === null) break;
    text += new TextDecoder().decode(buffer.subarray(0, read));
  }
  return text;
}

/** Opens a connection to `server` and sends `head` and `body` (a part of the body, or all). */
async function sendRaw(server: RunningServer, head: string, body = ""): Promise<Deno.Conn> {
  const { hostname, port } = new URL(server.url);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  await conn.write(encoder.encode(head + body));
  return conn;
}

/** The head of a POST of JSON to `path` with `length` bytes of body declared. */
const postHead = (path: string, length: number) =>
  `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n` +
  `Content-Length: ${length}\r\n\r\n`;

/** The steps both runtimes pass alike, on a server started with {@link SMALL}. */
async function sharedSteps(t: Deno.TestContext, server: RunningServer): Promise<void> {
  const api = `${server.url}/api/v1`;

  await t.step("a body too deep, or of too many values, is refused for its shape", async () => {
    const deep = `{"inputs": {"input": ${"[".repeat(5000)}${"]".repeat(5000)}, "target": [1]}}`;
    const problem = await assertProblem(
      await postJson(`${api}/losses/mse`, deep),
      400,
      "inputs.input",
    );
    assert.match(String(problem.detail), /^inputs\.input is nested more than 12 deep/);
    // 2 x 1000 + 4096 values at most: 7000 numbers in a body under 20,000 bytes.
    const many = JSON.stringify({ inputs: { input: zeros(3500), target: zeros(3500) } });
    const counted = await assertProblem(await postJson(`${api}/losses/mse`, many), 413, "body");
    assert.match(String(counted.detail), /more than 6096 JSON values .*MAX_ELEMENTS/);
  });

  await t.step("an unknown option is refused before the options are decoded", async () => {
    // The unknown key comes after a tensor option that is wrong: it is found first.
    const body = {
      inputs: { input: [[1, 2]], target: [0] },
      options: { weight: "not a tensor", no_such_option: 1 },
    };
    await assertProblem(
      await postJson(`${api}/losses/cross-entropy`, body),
      400,
      "options.no_such_option",
    );
    const inputs = { input: "not a tensor", target: [0], no_such_input: [1] };
    await assertProblem(
      await postJson(`${api}/losses/mse`, { inputs }),
      400,
      "inputs.no_such_input",
    );
  });

  await t.step("empty tensors: a size of 0 counts as 1, nested dimensions are capped", async () => {
    const flat = (shape: number[]) => ({ shape, data: [] });
    const none = { reduction: "none" };
    const ok = await postJson(`${api}/losses/mse`, {
      inputs: { input: flat([40, 25, 0]), target: flat([1, 1, 0]) },
      options: none,
    });
    assert.equal(ok.status, 200, await ok.text());
    await assertProblem(
      await postJson(`${api}/losses/mse`, {
        inputs: { input: flat([40, 26, 0]), target: flat([1, 1, 0]) },
        options: none,
      }),
      413,
      "inputs.target",
    );
    // TripletMarginLoss answers one distance per row, however empty: 1001 rows are too many.
    const rows = (n: number) => Array.from({ length: n }, () => []);
    const triplet = (n: number) => ({
      inputs: { anchor: rows(n), positive: [[]], negative: [[]] },
      options: none,
    });
    const answer = await postJson(`${api}/losses/triplet-margin`, triplet(1000));
    assert.equal(answer.status, 200);
    assert.equal((await answer.json()).output.shape[0], 1000);
    const nested = await assertProblem(
      await postJson(`${api}/losses/triplet-margin`, triplet(1001)),
      413,
      "inputs.anchor",
    );
    assert.match(String(nested.detail), /1001 in dimension 0, more than the limit of 1000/);
    await assertProblem(
      await postJson(`${api}/losses/triplet-margin`, {
        inputs: { anchor: flat([1001, 0]), positive: flat([1, 0]), negative: flat([1, 0]) },
      }),
      413,
      "inputs.anchor.shape[0]",
    );
  });

  await t.step("gzip and deflate bodies are read, within the body limit", async () => {
    const text = JSON.stringify({ inputs: { input: [1, 2], target: [1, 0] } });
    for (const format of ["gzip", "deflate"] as const) {
      const response = await postBytes(`${api}/losses/mse`, await compress(text, format), {
        "Content-Encoding": format,
      });
      assert.equal(response.status, 200, format);
      assert.deepEqual((await response.json()).output.data, [2], format);
    }
    // 30,000 bytes of blanks after the request: 100-odd bytes compressed, too large decompressed.
    const bomb = await compress(text + " ".repeat(30_000), "gzip");
    assert.ok(bomb.length < 1000);
    const problem = await assertProblem(
      await postBytes(`${api}/losses/mse`, bomb, { "Content-Encoding": "gzip" }),
      413,
      "body",
    );
    assert.match(String(problem.detail), /decompressed than the limit of 20000 bytes/);
    await assertProblem(
      await postBytes(`${api}/losses/mse`, encoder.encode(text), { "Content-Encoding": "br" }),
      415,
      "Content-Encoding",
    );
    await assertProblem(
      await postBytes(`${api}/losses/mse`, encoder.encode(text), { "Content-Encoding": "gzip" }),
      400,
      "body",
    );
  });

  await t.step("past the bytes in flight, 503 with Retry-After at once", async () => {
    // A body of 20,000 bytes declared, 19,000 of them sent, takes 19,000 of the 30,000 in flight.
    const held = await sendRaw(server, postHead("/api/v1/losses/mse", 20_000), " ".repeat(19_000));
    try {
      const body = JSON.stringify({ inputs: { input: [1], target: [2] } }).padEnd(15_000, " ");
      let busy: Response | undefined;
      // The held request reaches the app after a moment: try for at most 10 s.
      for (let attempt = 0; attempt < 100 && !busy; attempt++) {
        const response = await postJson(`${api}/losses/mse`, body);
        if (response.status === 503) busy = response;
        else {
          assert.equal(response.status, 200, await response.text());
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      assert.ok(busy, "a 503 while the other body is in flight");
      assert.equal(busy.headers.get("Retry-After"), "1");
      const problem = await assertProblem(busy, 503, "body");
      assert.match(String(problem.detail), /MAX_IN_FLIGHT_BYTES/);
    } finally {
      held.close();
    }
    // Once the held request is gone, its bytes are given back.
    let answered = 0;
    for (let attempt = 0; attempt < 100 && answered !== 200; attempt++) {
      const response = await postJson(`${api}/losses/mse`, { inputs: { input: [1], target: [2] } });
      await response.body?.cancel();
      answered = response.status;
      if (answered !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(answered, 200);
  });

  await t.step("a stalled upload holds only the bytes it sent", async () => {
    const held = await sendRaw(server, postHead("/api/v1/losses/mse", 20_000), "{");
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const body = JSON.stringify({ inputs: { input: [1], target: [2] } }).padEnd(15_000, " ");
      const response = await postJson(`${api}/losses/mse`, body);
      assert.equal(response.status, 200, await response.text());
    } finally {
      held.close();
    }
  });

  await t.step("a body that does not arrive in time is a 408", async () => {
    const conn = await sendRaw(server, postHead("/api/v1/losses/mse", 100), '{"inputs"');
    try {
      const head = await readHead(conn);
      assert.match(head, /^HTTP\/1\.1 408 /, head);
    } finally {
      conn.close();
    }
  });

  await t.step(
    "a script per kind of page, content-hashed and immutable; pages revalidate",
    async () => {
      const seen = new Set<string>();
      for (
        const path of ["/", "/losses/mse", "/notebook", "/notation", ...LESSONS.map(lessonPath)]
      ) {
        const page = await fetch(`${server.url}${path}`);
        const html = await page.text();
        assert.match(
          page.headers.get("Cache-Control") ?? "",
          /no-cache|max-age=0, must-revalidate/,
        );
        const kind = html.match(/<body data-page="([\w-]+)"/)?.[1] ?? "";
        assert.ok(kind in PAGE_KINDS, `${path}: a declared kind, not ${kind}`);
        const scripts = [...html.matchAll(/<script[^>]* src="([^"]+)"/g)].map((m) => m[1]);
        assert.equal(scripts.length, 1, `${path}: one script`);
        assert.match(scripts[0], new RegExp(`^/assets/${kind}\\.[0-9a-f]{10}\\.js$`), path);
        const styles = [...html.matchAll(/href="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
        for (const url of [...scripts, ...styles]) {
          const asset = await fetch(`${server.url}${url}`);
          await asset.body?.cancel();
          assert.equal(asset.status, 200, url);
          assert.equal(asset.headers.get("Cache-Control"), IMMUTABLE, url);
        }
        seen.add(kind);
      }
      assert.deepEqual([...seen].sort(), Object.keys(PAGE_KINDS).sort(), "every kind has a page");
    },
  );

  await t.step("host files are not served; a long URL is named once in its 404", async () => {
    for (const path of ["/_headers", "/.assetsignore"]) {
      const response = await fetch(`${server.url}${path}`);
      await response.body?.cancel();
      assert.equal(response.status, 404, path);
    }
    const long = "a".repeat(20_000);
    for (const path of [`/api/v1/${long}`, `/${long}`]) {
      const response = await fetch(`${server.url}${path}`);
      const text = await response.text();
      assert.equal(response.status, 404);
      assert.equal(text.split(long).length - 1, 1, "the path once");
    }
  });
}

Deno.test("hardening on Deno", (t) =>
  withServer(startDenoServer(SMALL), async (server) => {
    await sharedSteps(t, server);

    await t.step(
      "a malformed chunk or an abandoned upload is a 400, logged without a stack",
      async () => {
        const body = '{"inputs": {"input": [1], "target": [2]}}';
        const extension = `;x=${"a".repeat(100_000)}`;
        const chunked = await sendRaw(
          server,
          "POST /api/v1/losses/mse HTTP/1.1\r\nHost: localhost\r\n" +
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
          `${body.length.toString(16)}${extension}\r\n${body}\r\n0\r\n\r\n`,
        );
        try {
          const head = await readHead(chunked);
          assert.match(head, /^HTTP\/1\.1 4\d\d /, head);
        } finally {
          chunked.close();
        }
        const abandoned = await sendRaw(server, postHead("/api/v1/losses/mse", 1000), "{");
        // The request reaches the app, then its client goes away.
        await new Promise((resolve) => setTimeout(resolve, 300));
        abandoned.close();
        let lines: string[] = [];
        for (let wait = 0; wait < 50 && lines.length < 2; wait++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          lines = server.stdout().split("\n").filter((line) => line.includes('"status":400'));
        }
        assert.ok(lines.length >= 2, server.stdout().slice(-2000));
        assert.doesNotMatch(server.stdout() + server.stderr(), /"status":500|\n\s+at /);
      },
    );

    await t.step(
      "HEAD reports the file's length; static files have ETags, compression",
      async () => {
        for (const path of ["/", "/losses/mse", "/assets/site.css", "/favicon.svg"]) {
          const head = await fetch(`${server.url}${path}`, {
            method: "HEAD",
            headers: { "Accept-Encoding": "identity" },
          });
          const get = await fetch(`${server.url}${path}`, {
            headers: { "Accept-Encoding": "identity" },
          });
          const bytes = new Uint8Array(await get.arrayBuffer());
          assert.equal(Number(head.headers.get("Content-Length")), bytes.length, path);
          assert.ok(bytes.length > 0, path);
          const tag = get.headers.get("ETag");
          assert.ok(tag, `${path}: ETag`);
          const again = await fetch(`${server.url}${path}`, {
            headers: { "Accept-Encoding": "identity", "If-None-Match": tag },
          });
          await again.body?.cancel();
          assert.equal(again.status, 304, path);
        }
        for (const encoding of ["br", "gzip"]) {
          const response = await fetch(`${server.url}/`, {
            headers: { "Accept-Encoding": encoding },
          });
          await response.body?.cancel();
          assert.equal(response.headers.get("Content-Encoding"), encoding);
          assert.equal(response.headers.get("Vary"), "Accept-Encoding");
        }
        const page = await fetch(`${server.url}/losses/mse`);
        await page.body?.cancel();
        assert.equal(page.headers.get("Cache-Control"), "public, no-cache", "HTML revalidates");
      },
    );
  }));

Deno.test("hardening on Workers (local workerd)", (t) =>
  withServer(startWorker(SMALL), (server) => sharedSteps(t, server)));

/** Checks the rate limit of 3 a minute on `server`; `client` sets headers telling the client. */
async function checkRateLimit(server: RunningServer, client: Record<string, string> = {}) {
  const health = `${server.url}/api/v1/health`;
  for (let i = 0; i < 3; i++) {
    const response = await fetch(health, { headers: client });
    await response.body?.cancel();
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("RateLimit-Policy"), '"minute";q=3;w=60');
    const left = response.headers.get("RateLimit");
    if (left !== null) assert.match(left, new RegExp(`^"minute";r=${2 - i};t=\\d+$`));
  }
  // A preflight does not count.
  const preflight = await fetch(health, { method: "OPTIONS", headers: client });
  await preflight.body?.cancel();
  assert.equal(preflight.status, 204);
  const refused = await fetch(health, { headers: client });
  const retry = Number(refused.headers.get("Retry-After"));
  assert.ok(retry >= 1 && retry <= 60, `Retry-After: ${retry}`);
  assert.match(refused.headers.get("RateLimit") ?? "", /^"minute";r=0;t=\d+$/);
  const problem = await assertProblem(refused, 429, "client");
  assert.match(
    String(problem.detail),
    /more than 3 requests in a minute \(RATE_LIMIT_PER_MINUTE\)/,
  );
}

Deno.test("the rate limit on Deno: by the connection, or a trusted proxy's header", async (t) => {
  await withServer(startDenoServer({ RATE_LIMIT_PER_MINUTE: "3" }), async (server) => {
    await t.step("3 a minute, then 429; a forwarded address is not trusted", async () => {
      // The start's health checks counted too: at most 3 more answer 200.
      let refused: Response | undefined;
      for (let i = 0; i < 4 && !refused; i++) {
        const response = await fetch(`${server.url}/api/v1/health`);
        if (response.status === 429) refused = response;
        else await response.body?.cancel();
      }
      assert.ok(refused, "a 429 within 4 requests");
      await assertProblem(refused, 429, "client");
      const forwarded = await fetch(`${server.url}/api/v1/health`, {
        headers: { "X-Forwarded-For": "192.0.2.1" },
      });
      await assertProblem(forwarded, 429, "client");
      const page = await fetch(`${server.url}/losses/mse`);
      await page.body?.cancel();
      assert.equal(page.status, 200, "the site's pages do not count");
    });
  });
  await withServer(
    startDenoServer({ RATE_LIMIT_PER_MINUTE: "3", TRUST_PROXY_HEADER: "X-Forwarded-For" }),
    async (server) => {
      await t.step("behind a trusted proxy, each forwarded client has its own limit", async () => {
        await checkRateLimit(server, { "X-Forwarded-For": "192.0.2.1, 10.0.0.1" });
        await checkRateLimit(server, { "X-Forwarded-For": "192.0.2.2" });
      });
    },
  );
});

Deno.test("the rate limit on Workers: the Rate Limiting binding (local workerd)", (t) =>
  withServer(startWorker({ RATE_LIMIT_PER_MINUTE: "3" }), async (server) => {
    // Local workerd passes a client's CF-Connecting-IP on (Cloudflare's edge sets it): each
    // address below is a client of its own, apart from the start's health checks.
    await t.step(
      "3 a minute, then 429 with Retry-After",
      () => checkRateLimit(server, { "CF-Connecting-IP": "192.0.2.1" }),
    );
    await t.step(
      "another client has its own limit",
      () => checkRateLimit(server, { "CF-Connecting-IP": "192.0.2.2" }),
    );
  }));
