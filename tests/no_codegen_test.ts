/**
 * Cloudflare Workers refuse code generation from strings while serving a request, and
 * `ndarray` compiles its constructors with `new Function`.  This proves that, once the library
 * is imported, computing losses generates no code: with `Function` (and its async and
 * generator kin) and `eval` trapped, the whole golden suite still passes and the trap counts
 * no attempt.  A control step shows that the trap does catch `ndarray` compiling a constructor.
 */
import assert from "node:assert/strict";
// @ts-types="@types/ndarray"
import ndarray from "ndarray";
import { checkCase, goldenCases } from "./golden.ts";

/** Counts and refuses every attempt to compile code from strings until restored. */
interface CodeGenerationTrap {
  /** The source of each refused attempt (the last argument of `Function`, or `eval`'s). */
  attempts: string[];
  restore(): void;
}

const functionPrototypes = [
  function () {},
  async function () {},
  function* () {},
  async function* () {},
].map((fn) => Object.getPrototypeOf(fn) as { constructor: unknown });

function trapCodeGeneration(): CodeGenerationTrap {
  const attempts: string[] = [];
  const refuse = (source: unknown): never => {
    attempts.push(String(source));
    throw new EvalError("Code generation from strings disallowed for this context");
  };
  // A `function`, not an arrow, so that `new Function(...)` reaches it.
  const trappedFunction = function (...args: unknown[]): never {
    return refuse(args.at(-1));
  };
  const originalFunction = globalThis.Function;
  const originalEval = globalThis.eval;
  // AsyncFunction.prototype.constructor and its kin are read-only but configurable.
  const originalConstructors = functionPrototypes.map((prototype) =>
    Object.getOwnPropertyDescriptor(prototype, "constructor")!
  );
  globalThis.Function = trappedFunction as unknown as FunctionConstructor;
  globalThis.eval = refuse;
  for (const [i, prototype] of functionPrototypes.entries()) {
    Object.defineProperty(prototype, "constructor", {
      ...originalConstructors[i],
      value: trappedFunction,
    });
  }
  return {
    attempts,
    restore() {
      globalThis.Function = originalFunction;
      globalThis.eval = originalEval;
      for (const [i, prototype] of functionPrototypes.entries()) {
        Object.defineProperty(prototype, "constructor", originalConstructors[i]);
      }
    },
  };
}

/** Runs `body` with code generation trapped; returns the refused attempts. */
function withoutCodeGeneration(body: () => void): string[] {
  const trap = trapCodeGeneration();
  try {
    body();
  } finally {
    trap.restore();
  }
  return trap.attempts;
}

Deno.test("no code generation after start-up", async (t) => {
  await t.step("the golden suite passes with Function and eval trapped", () => {
    const failures: string[] = [];
    const attempts = withoutCodeGeneration(() => {
      for (const golden of goldenCases) {
        try {
          checkCase(golden);
        } catch (error) {
          failures.push(error instanceof Error ? error.message : String(error));
        }
      }
    });
    assert.equal(globalThis.Function("return 1")(), 1, "Function was not restored");
    assert.deepEqual(attempts, [], `${attempts.length} attempts to generate code`);
    assert.deepEqual(failures, [], `${failures.length} of ${goldenCases.length} cases fail`);
  });

  await t.step("the trap catches ndarray compiling a constructor of a new rank and dtype", () => {
    const attempts = withoutCodeGeneration(() => {
      assert.throws(() => ndarray(new Int16Array(1), new Array(9).fill(1)), EvalError);
    });
    assert.ok(attempts.length > 0, "ndarray compiled a constructor without the trap noticing");
    assert.equal(ndarray(new Int16Array(1), new Array(9).fill(1)).dimension, 9);
  });
});
