/**
 * `lib/losses/mod.ts` is generated from the folder (`tools/loss_index.ts`, run by `deno task
 * build`): it must list every loss module, so that a loss added as a module is registered.
 */
import assert from "node:assert/strict";
import { LOSSES_FOLDER, lossIndex } from "../tools/loss_index.ts";
import { losses } from "../lib/mod.ts";

Deno.test("lib/losses/mod.ts lists every loss module (run `deno task build` if not)", async () => {
  const current = await Deno.readTextFile(new URL("mod.ts", LOSSES_FOLDER));
  assert.equal(current, await lossIndex());
  const modules = [...(await lossIndex()).matchAll(/^export \{ (\w+) \}/gm)].length;
  assert.equal(losses.length, modules);
});
