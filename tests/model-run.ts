import { parseArgs } from "node:util";
import { startVitest } from "vitest/node";
import { z } from "zod";
import type { ModelTestPlan } from "./provided-context";

/**
 * Runs the randomized model test of git sync (workers/workspace/sync.model.test.ts) with more
 * than CI's fixed seeds. Vitest takes no flags of its own for a test, so the plan reaches the
 * test through vitest's provided context.
 *
 *   npm run test:model -- --seeds 20            20 new random seeds, 12 steps each
 *   npm run test:model -- --seeds 5 --steps 30  longer sequences
 *   npm run test:model -- --seed 7 --path 0:1:3 replay a failure as printed (seed and path)
 */
const options = z
  .object({
    seeds: z.coerce.number().int().min(1).max(10_000).optional(),
    seed: z.coerce.number().int().optional(),
    steps: z.coerce.number().int().min(1).max(200).default(12),
    path: z
      .string()
      .regex(/^\d+(:\d+)*$/)
      .optional(),
  })
  .refine((given) => given.seeds === undefined || given.seed === undefined, "give --seeds or --seed, not both")
  .parse(
    parseArgs({
      options: {
        seeds: { type: "string" },
        seed: { type: "string" },
        steps: { type: "string" },
        path: { type: "string" },
      },
    }).values,
  );

const first = Date.now() % 1_000_000_000;
const plan: ModelTestPlan = {
  seeds:
    options.seed !== undefined
      ? [options.seed]
      : Array.from({ length: options.seeds ?? 1 }, (_, index) => first + index * 7_919),
  steps: options.steps,
  path: options.path,
};
console.log(
  `Model test: seeds ${plan.seeds.join(", ")}; ${plan.steps} steps each${plan.path ? `, path ${plan.path}` : ""}`,
);
const vitest = await startVitest("test", ["workers/workspace/sync.model.test.ts"], {
  project: "workers",
  provide: { modelTest: plan },
  watch: false,
});
await vitest.close();
process.exit(vitest.state.getCountOfFailedTests() > 0 ? 1 : 0);
